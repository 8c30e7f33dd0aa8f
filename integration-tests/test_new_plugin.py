"""tools/new-plugin: each kind of generated plugin installs, passes its tests and runs a workflow.

Every plugin is generated into a temporary folder and installed (editable)
into one throwaway virtual environment that holds parsl-kernel from
``packages/kernel`` and nothing else of ours. There the plugin's own tests
run, and a separate script shows that Parsl finds the plugin through its
entry point and runs a workflow through it. The generated code is also
linted and type-checked with the repository's tools.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "new-plugin"
BIN = Path(sys.executable).parent
KINDS = ("executor", "provider", "staging")

# What a generated plugin may import from the kernel: the plugin interfaces and public API.
PUBLIC_KERNEL_MODULES = {
    "parsl",
    "parsl.config",
    "parsl.plugins",
    "parsl.executors",
    "parsl.executors.base",
    "parsl.executors.errors",
    "parsl.providers.base",
    "parsl.providers.errors",
    "parsl.launchers",
    "parsl.launchers.base",
    "parsl.jobs.states",
    "parsl.serialize",
    "parsl.utils",
    "parsl.data_provider.files",
    "parsl.data_provider.staging",
    "parsl.data_provider.file_noop",
}

WORKFLOWS = {
    "executor": """
import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import AcmeExecutor  # resolved through the parsl.executors entry point

@python_app
def inc(x):
    return x + 1

if __name__ == "__main__":
    with parsl.load(Config(executors=[AcmeExecutor(max_workers=2)], run_dir="runinfo")):
        print("found", AcmeExecutor.__module__, "result", inc(inc(inc(0))).result(timeout=60))
""",
    "provider": """
import sys
import parsl
from parsl import python_app
from parsl.config import Config
from parsl.providers import AcmeProvider  # resolved through the parsl.providers entry point

sys.path.insert(0, sys.argv[1])  # the plugin's tests/ folder, for its one-block-per-task executor
from block_executor import BlockPerTaskExecutor

@python_app
def inc(x):
    return x + 1

provider = AcmeProvider(script_dir="blocks")
with parsl.load(Config(executors=[BlockPerTaskExecutor(provider)], run_dir="runinfo")):
    print("found", AcmeProvider.__module__, "result", inc(inc(inc(0))).result(timeout=60))
""",
    "staging": """
import os
import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor
from parsl.plugins import load

AcmeStaging = load("parsl.staging", "AcmeStaging")  # resolved through the parsl.staging entry point

@python_app
def inc(inputs=(), outputs=()):
    value = int(open(inputs[0]).read()) + 1
    open(outputs[0], "w").write(str(value))
    return value

os.makedirs("store/b")
open("store/b/n0", "w").write("0")
staging = AcmeStaging("store", working_dir="work")
executor = ThreadPoolExecutor(storage_access=[staging])
with parsl.load(Config(executors=[executor], run_dir="runinfo")):
    for i in range(3):
        out = File(f"acme://b/n{i + 1}")
        inc(inputs=[File(f"acme://b/n{i}")], outputs=[out]).outputs[0].result(timeout=60)
print("found", AcmeStaging.__module__, "result", open("store/b/n3").read())
""",
}


def run(
    cmd: list[str], cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Path]]]:
    """(venv, {kind: plugin folder}): each kind generated, installed and its own tests passed."""
    base = tmp_path_factory.mktemp("plugins")
    venv = base / "venv"
    made: dict[str, Path] = {}
    for kind in KINDS:
        dest = base / f"acme-{kind}"
        result = run(
            [sys.executable, str(TOOL), kind, f"acme-{kind}", str(dest), "--venv", str(venv)],
            timeout=600,
        )
        assert result.returncode == 0, (
            f"new-plugin {kind} failed:\n{result.stdout}\n{result.stderr}"
        )
        assert " passed" in result.stdout, result.stdout
        assert "failed" not in result.stdout.split("== running the plugin's tests")[-1]
        made[kind] = dest
    yield venv, made


@pytest.mark.timeout(900)
def test_the_throwaway_venv_holds_the_kernel_and_the_plugins_only(
    plugins: tuple[Path, dict[str, Path]],
) -> None:
    venv, _ = plugins
    out = run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"]).stdout
    ours = sorted(
        line.split("==")[0] for line in out.splitlines() if line.startswith(("parsl", "acme"))
    )
    assert ours == ["acme-executor", "acme-provider", "acme-staging", "parsl-kernel"], out


STAR_IMPORT = """
import parsl
from parsl import *
from parsl.errors import PluginNotFound

assert python_app is parsl.python_app and Config is parsl.Config
for cls in (HighThroughputExecutor, MonitoringHub):
    try:
        cls()
    except PluginNotFound as e:
        print(cls.__name__, "->", e)
    else:
        raise SystemExit(cls.__name__ + " was constructed")
try:
    from parsl import HighThroughputExecutor as named
except PluginNotFound as e:
    print("named import ->", type(e).__name__)
"""


@pytest.mark.timeout(900)
def test_star_import_works_with_the_kernel_alone(
    plugins: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    # As in Parsl, which ships them all: a name whose package is missing says what to
    # install when used, while a named import of it fails at once.
    venv, _ = plugins
    result = run([str(venv / "bin" / "python"), "-c", STAR_IMPORT], cwd=tmp_path)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    out = result.stdout
    assert "HighThroughputExecutor -> " in out and "pip install parsl-executors" in out
    assert "MonitoringHub -> " in out and "pip install parsl-monitoring" in out
    assert "named import -> PluginNotFound" in out


@pytest.mark.timeout(900)
@pytest.mark.parametrize("kind", KINDS)
def test_parsl_discovers_the_plugin_and_runs_a_workflow_through_it(
    plugins: tuple[Path, dict[str, Path]], kind: str, tmp_path: Path
) -> None:
    venv, made = plugins
    script = tmp_path / "workflow.py"
    script.write_text(WORKFLOWS[kind])
    result = run(
        [str(venv / "bin" / "python"), str(script), str(made[kind] / "tests")], cwd=tmp_path
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert f"found acme_{kind}.{kind} result 3" in result.stdout


@pytest.mark.timeout(900)
@pytest.mark.parametrize("kind", KINDS)
def test_the_plugin_uses_only_the_kernels_public_interfaces(
    plugins: tuple[Path, dict[str, Path]], kind: str
) -> None:
    _, made = plugins
    for path in (made[kind] / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("parsl"):
                assert node.module in PUBLIC_KERNEL_MODULES, f"{path.name} imports {node.module}"
    pyproject = (made[kind] / "pyproject.toml").read_text()
    assert 'dependencies = ["parsl-kernel>=' in pyproject


@pytest.mark.timeout(900)
def test_the_generated_code_is_lint_format_and_type_clean(
    plugins: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    _, made = plugins
    folders = [str(p) for p in made.values()]
    for cmd in (["ruff", "check", "--no-cache"], ["ruff", "format", "--check", "--no-cache"]):
        result = run([str(BIN / cmd[0]), *cmd[1:], *folders])
        assert result.returncode == 0, f"{' '.join(cmd)}:\n{result.stdout}{result.stderr}"
    for folder in made.values():
        result = run(
            [str(BIN / "mypy"), "--cache-dir", str(tmp_path / "mypy"), "src", "tests"], cwd=folder
        )
        assert result.returncode == 0, f"mypy in {folder.name}:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize(
    "args, message",
    [
        (["executor", "Acme Cluster"], "use lowercase letters"),
        (["executor", "json"], "would shadow json"),
        (["provider", "parsl"], "would shadow parsl"),
    ],
)
def test_bad_names_are_refused_and_nothing_is_written(
    args: list[str], message: str, tmp_path: Path
) -> None:
    dest = tmp_path / "out"
    result = run([sys.executable, str(TOOL), *args, str(dest)])
    assert result.returncode == 1
    assert message in result.stderr
    assert not dest.exists()


def test_a_non_empty_destination_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = run([sys.executable, str(TOOL), "staging", "acme-store", str(tmp_path)])
    assert result.returncode == 1
    assert "is not an empty directory" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    result = run([sys.executable, str(TOOL), "launcher", "acme", str(tmp_path / "x")])
    assert result.returncode == 2
    assert "invalid choice: 'launcher'" in result.stderr


def test_names_become_distribution_package_class_and_scheme(tmp_path: Path) -> None:
    result = run([sys.executable, str(TOOL), "staging", "big_store-staging", str(tmp_path / "s")])
    assert result.returncode == 0, result.stderr
    pyproject = (tmp_path / "s" / "pyproject.toml").read_text()
    assert 'name = "big-store-staging"' in pyproject
    assert 'BigStoreStaging = "big_store_staging.staging:BigStoreStaging"' in pyproject
    assert (
        'SCHEME = "big-store"'
        in (tmp_path / "s" / "src" / "big_store_staging" / "staging.py").read_text()
    )
    leftovers = [
        p for p in (tmp_path / "s").rglob("*") if "__" in p.name and p.name != "__init__.py"
    ]
    assert not leftovers
    for path in (tmp_path / "s").rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert (
                "__PACKAGE__" not in text and "__CLASS__" not in text and "__SCHEME__" not in text
            ), path
