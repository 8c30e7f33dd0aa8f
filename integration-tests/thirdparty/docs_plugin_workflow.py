"""Run by test_thirdparty_docs_plugin.py with the installed plugin on PYTHONPATH: a workflow through it."""

from __future__ import annotations

import os
import sys

import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.plugins import load
from parsl.serialize import deserialize, serialize
from parsl.serialize.facade import methods_for_data, register_method_for_data

work = sys.argv[1]
Provider = load("parsl.providers", "SubprocessProvider")
Launcher = load("parsl.launchers", "EnvLauncher")
Copy = load("parsl.staging", "CopyStaging")
Json = load("parsl.serializers", "JsonSerializer")
from parsl.providers import SubprocessProvider  # noqa: E402  (the public path resolves too)

assert SubprocessProvider is Provider

provider = Provider(launcher=Launcher(value="from-the-launcher"))
print("provider:", repr(provider).replace("\n", " "))
htex = HighThroughputExecutor(
    label="docs",
    provider=provider,
    address="127.0.0.1",
    max_workers_per_node=2,
    storage_access=[Copy(os.path.join(work, "staged"))],
)


@python_app
def launcher_env() -> str | None:
    import os

    return os.environ.get("DOCS_PLUGIN_LAUNCHER")


@python_app
def read(workdir: str, inputs: list[File] = ()) -> str:  # type: ignore[assignment]
    import os

    # staged in by the plugin's task wrapper (on the worker) into workdir, under its file name
    with open(os.path.join(workdir, inputs[0].filename)) as f:
        return f.read()


source = os.path.join(work, "input.txt")
with open(source, "w") as f:
    f.write("staged by the plugin")

with parsl.load(Config(executors=[htex], run_dir=os.path.join(work, "runinfo"), strategy="none")):
    print("launcher:", launcher_env().result(timeout=60))
    print(
        "staging:",
        read(os.path.join(work, "staged"), inputs=[File(f"copy://{source}")]).result(timeout=60),
    )
    print("squares:", [f.result(timeout=60) for f in [python_app(pow)(i, 2) for i in range(4)]])

register_method_for_data(Json())
assert isinstance(next(iter(methods_for_data.values())), Json)  # tried first
payload = serialize({"a": [1, 2]})
print("serializer:", payload[:4].decode(), deserialize(payload))
