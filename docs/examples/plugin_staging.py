# expect: word count of store://inbox/poem.txt: 6
# expect: store now holds: ['inbox/poem.txt', 'outbox/count.txt']
# expect: the plain executor has no staging provider for it: True
"""An out-of-tree staging provider for a toy object store: ``store://bucket/key`` URLs.

The "store" is a directory; the provider copies files in before the app runs
and out after it, inside the app's own task.
"""

import os
import shutil
import tempfile

import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.data_provider.data_manager import NoStagingProvider
from parsl.data_provider.file_noop import NoOpFileStaging
from parsl.data_provider.staging import Staging
from parsl.executors import ThreadPoolExecutor


class CopyInThenRun:
    """Task wrapper: copy the stored object to its local path, then run the app."""

    def __init__(self, func, source: str, file: File) -> None:
        self.func, self.source, self.file = func, source, file
        self.__name__ = getattr(func, "__name__", "task")

    def __call__(self, *args, **kwargs):
        shutil.copyfile(self.source, self.file.local_path)
        return self.func(*args, **kwargs)


class RunThenCopyOut:
    """Task wrapper: run the app, then copy its output file into the store."""

    def __init__(self, func, target: str, file: File) -> None:
        self.func, self.target, self.file = func, target, file
        self.__name__ = getattr(func, "__name__", "task")

    def __call__(self, *args, **kwargs):
        result = self.func(*args, **kwargs)
        os.makedirs(os.path.dirname(self.target), exist_ok=True)
        shutil.copyfile(self.file.local_path, self.target)
        return result


class StoreStaging(Staging):
    """Stages ``store://bucket/key`` files between a store directory and a working directory."""

    def __init__(self, store_root: str, working_dir: str) -> None:
        self.store_root = store_root
        self.working_dir = working_dir

    def _object_path(self, file: File) -> str:
        return os.path.join(self.store_root, file.netloc, file.path.lstrip("/"))

    def can_stage_in(self, file: File) -> bool:
        return file.scheme == "store"

    def can_stage_out(self, file: File) -> bool:
        return file.scheme == "store"

    def replace_task(self, dm, executor, file, func):
        file.local_path = os.path.join(self.working_dir, file.filename)
        return CopyInThenRun(func, self._object_path(file), file)

    def replace_task_stage_out(self, dm, executor, file, func):
        file.local_path = os.path.join(self.working_dir, file.filename)
        return RunThenCopyOut(func, self._object_path(file), file)


def count_words(inputs=(), outputs=()):
    with open(inputs[0]) as f:
        n = len(f.read().split())
    with open(outputs[0], "w") as f:
        f.write(str(n))
    return n


staged_count = python_app(count_words, executors=["staged"])
plain_count = python_app(count_words, executors=["plain"])

store = tempfile.mkdtemp(prefix="store-")
os.makedirs(os.path.join(store, "inbox"))
with open(os.path.join(store, "inbox", "poem.txt"), "w") as f:
    f.write("the quick brown fox jumps high\n")

work = tempfile.mkdtemp(prefix="work-")
staging = [StoreStaging(store, working_dir=work), NoOpFileStaging()]
config = Config(
    executors=[
        ThreadPoolExecutor(label="staged", storage_access=staging),
        ThreadPoolExecutor(label="plain"),  # default_staging: no store:// provider
    ]
)

with parsl.load(config):
    fut = staged_count(
        inputs=[File("store://inbox/poem.txt")], outputs=[File("store://outbox/count.txt")]
    )
    print("word count of store://inbox/poem.txt:", fut.result())
    fut.outputs[0].result()
    stored = sorted(
        os.path.relpath(os.path.join(d, n), store) for d, _, ns in os.walk(store) for n in ns
    )
    print("store now holds:", stored)

    try:
        plain_count(inputs=[File("store://inbox/poem.txt")])
    except NoStagingProvider as e:
        print("the plain executor has no staging provider for it:", "store://" in str(e))

shutil.rmtree(store)
shutil.rmtree(work)
