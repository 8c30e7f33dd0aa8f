# expect: separate task: 3 lines
# expect: in task: 3 lines
# expect: DownloadError: HTTP 404 File not found
import functools
import http.server
import os
import threading

import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.data_provider.http import HTTPInTaskStaging, HTTPSeparateTaskStaging
from parsl.data_provider.staging_errors import DownloadError
from parsl.dataflow.errors import DependencyError
from parsl.executors import ThreadPoolExecutor

# A web server on 127.0.0.1 serving ./site (stands in for any http:// or https:// URL).
os.makedirs("site", exist_ok=True)
with open("site/data.csv", "w") as f:
    f.write("a,1\nb,2\nc,3\n")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(
    ("127.0.0.1", 0), functools.partial(Quiet, directory="site")
)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"


def count_lines(inputs=()):
    with open(inputs[0]) as f:
        return sum(1 for _ in f)


count_a = python_app(count_lines, executors=["separate"])
count_b = python_app(count_lines, executors=["in_task"])


separate = ThreadPoolExecutor(
    label="separate", working_dir="downloads-a", storage_access=[HTTPSeparateTaskStaging()]
)
in_task = ThreadPoolExecutor(
    label="in_task", working_dir="downloads-b", storage_access=[HTTPInTaskStaging(timeout=30)]
)
with parsl.load(Config(executors=[separate, in_task])):
    print("separate task:", count_a(inputs=[File(f"{base}/data.csv")]).result(), "lines")
    print("in task:", count_b(inputs=[File(f"{base}/data.csv")]).result(), "lines")
    try:
        count_a(inputs=[File(f"{base}/missing.csv")]).result()
    except DependencyError as e:
        assert isinstance(e.root_cause, DownloadError)
        print("DownloadError:", e.root_cause.reason)
server.shutdown()
