# expect: squares: [0, 1, 4, 9, 16]
# expect: ran in block 0's worker, not in this process: True
# expect: blocks after cleanup: {'0': 'SCALED_IN'}
"""An out-of-tree executor whose workers run in blocks from a provider (a BlockProviderExecutor)."""

import os
import queue
import sys
import threading
from concurrent.futures import Future
from multiprocessing.connection import Listener

import parsl
from parsl.config import Config
from parsl.executors.status_handling import BlockProviderExecutor
from parsl.providers import LocalProvider
from parsl.serialize import deserialize, pack_apply_message
from parsl.utils import RepresentationMixin

# What each block runs: connect back to the executor, then run tasks until told to stop.
WORKER = """
import sys
from multiprocessing.connection import Client
from parsl.serialize import serialize, unpack_apply_message

conn = Client(("127.0.0.1", int(sys.argv[1])), authkey=bytes.fromhex(sys.argv[2]))
while (payload := conn.recv_bytes()) != b"stop":
    func, args, kwargs = unpack_apply_message(payload)
    try:
        conn.send((True, serialize(func(*args, **kwargs))))
    except Exception as e:
        conn.send((False, serialize(e)))
"""


class SocketExecutor(RepresentationMixin, BlockProviderExecutor):
    """Tasks wait in a queue; the worker of every block takes the next one."""

    def __init__(self, label="socket", provider=None):
        super().__init__(provider=provider or LocalProvider(), block_error_handler=True)
        self.label = label
        self._queue = queue.Queue()

    def start(self):
        # The poller starts provider.init_blocks blocks after this, and cancels them at cleanup.
        self.provider.script_dir = os.path.join(self.run_dir, "submit_scripts")
        self._key = os.urandom(16)
        self._listener = Listener(("127.0.0.1", 0), authkey=self._key)
        self._worker = os.path.join(self.run_dir, "socket_worker.py")
        with open(self._worker, "w") as f:
            f.write(WORKER)
        threading.Thread(target=self._accept, daemon=True).start()

    def _get_launch_command(self, block_id):
        port = self._listener.address[1]
        return f"{sys.executable} {self._worker} {port} {self._key.hex()}"

    def _accept(self):
        while True:
            conn = self._listener.accept()
            threading.Thread(target=self._feed, args=(conn,), daemon=True).start()

    def _feed(self, conn):
        while True:
            future, payload = self._queue.get()
            try:
                conn.send_bytes(payload)
                ok, body = conn.recv()
            except (EOFError, OSError) as e:  # the block ended under us
                future.set_exception(RuntimeError(f"worker lost: {e}"))
                return
            if ok:
                future.set_result(deserialize(body))
            else:
                future.set_exception(deserialize(body))

    def submit(self, func, resource_specification, *args, **kwargs):
        future = Future()
        self.tasks[id(future)] = future  # set_bad_state_and_fail_all fails what is here
        future.add_done_callback(lambda f: self.tasks.pop(id(f), None))
        self._queue.put((future, pack_apply_message(func, args, kwargs)))
        return future

    @property
    def outstanding(self):
        return len(self.tasks)

    @property
    def workers_per_node(self):
        return 1

    def shutdown(self):
        for future in list(self.tasks.values()):
            if not future.done():
                future.set_exception(RuntimeError("executor shut down"))


@parsl.python_app
def square(x):
    return x * x


@parsl.python_app
def where():
    import os

    return os.getpid(), os.environ["JOBNAME"]


executor = SocketExecutor(provider=LocalProvider(init_blocks=1, max_blocks=1))
with parsl.load(Config(executors=[executor], strategy="none")):
    print("squares:", [f.result() for f in [square(i) for i in range(5)]])
    pid, job_name = where().result()
    print(
        "ran in block 0's worker, not in this process:",
        job_name == "parsl.socket.block-0" and pid != os.getpid(),
    )
blocks = {block: status.state.name for block, status in executor.status_facade.items()}
print("blocks after cleanup:", blocks)
