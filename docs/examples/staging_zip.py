# expect: archive members: 20
# expect: first member: out/00.txt
# expect: read back: square of 7 is 49
# expect: ZipStagingError: the archive has no member 'out/99.txt'
import zipfile

import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.data_provider.staging_errors import ZipStagingError
from parsl.data_provider.zip import ZipFileStaging
from parsl.executors import ThreadPoolExecutor


@python_app
def square(n, outputs=()):
    with open(outputs[0], "w") as f:  # the local path under working_dir
        f.write(f"square of {n} is {n * n}\n")


@python_app
def read(inputs=()):
    with open(inputs[0]) as f:
        return f.read().strip()


executor = ThreadPoolExecutor(max_threads=8, working_dir="work", storage_access=[ZipFileStaging()])
with parsl.load(Config(executors=[executor])):
    # 20 concurrent tasks each append one member to the same archive.
    futures = [square(n, outputs=[File(f"zip:results.zip/out/{n:02d}.txt")]) for n in range(20)]
    for fu in futures:
        fu.outputs[0].result()
    with zipfile.ZipFile("results.zip") as zf:
        names = sorted(zf.namelist())
    print("archive members:", len(names))
    print("first member:", names[0])

    # As an input, a member is extracted before the app runs.
    print("read back:", read(inputs=[File("zip:results.zip/out/07.txt")]).result())
    try:
        read(inputs=[File("zip:results.zip/out/99.txt")]).result()
    except ZipStagingError as e:
        print("ZipStagingError:", e.reason)
