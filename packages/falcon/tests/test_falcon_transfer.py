"""Real Falcon transfers on loopback: a falcon receiver in the task, a sender run by the agent."""

from __future__ import annotations

import hashlib
import pickle
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from falcon_processes import falcon_children

from parsl import File, python_app
from parsl.data_provider.falcon import (
    FalconError,
    FalconReceiveThenRun,
    FalconStaging,
    ReceiveSettings,
    SenderRunner,
    SendRequest,
    receive,
)
from parsl.data_provider.falcon._protocol import encode_result
from parsl.data_provider.falcon._receive import free_port, is_listening
from parsl.dataflow.dflow import DataFlowKernel

LoadParsl = Callable[..., DataFlowKernel]


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def settings(falcon: str, **kw: object) -> ReceiveSettings:
    base: dict[str, object] = {
        "receiver_host": "127.0.0.1",
        "falcon": falcon,
        "timeout": 60.0,
        "listen_timeout": 20.0,
        "max_cc": 2,
    }
    base.update(kw)
    return ReceiveSettings(**base)  # type: ignore[arg-type]


@python_app
def summarize(inputs: list[File]) -> dict[str, str]:
    root = Path(inputs[0].filepath)
    return {
        str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.timeout(120)
def test_an_app_reads_a_directory_falcon_moved(
    load_parsl: LoadParsl, agent_port: int, data_root: Path, falcon_program: str, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    load_parsl([FalconStaging(falcon=falcon_program, max_cc=2)], working_dir=str(work))
    start = time.monotonic()
    got = summarize(inputs=[File(f"falcon://127.0.0.1:{agent_port}{data_root}/run42")]).result(
        timeout=90
    )
    elapsed = time.monotonic() - start
    assert got == digests(data_root / "run42")
    assert len(got) == 4
    assert digests(work / "run42") == got
    assert falcon_children() == []
    print(f"\nfalcon: {len(got)} files, 3.1 MB over loopback in {elapsed:.2f} s")


@pytest.mark.timeout(60)
def test_an_empty_directory_arrives_empty(
    agent_port: int, data_root: Path, falcon_program: str, tmp_path: Path
) -> None:
    result = receive(
        f"falcon://127.0.0.1:{agent_port}{data_root}/empty",
        str(tmp_path / "e"),
        settings(falcon_program),
    )
    assert result.files == () and result.completed == 0
    assert list((tmp_path / "e").iterdir()) == []
    assert falcon_children() == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/etc", "outside the directory this agent serves"),
        ("{root}/../", "outside the directory this agent serves"),
        ("{root}/missing", "is not a directory on the agent's host"),
    ],
)
def test_the_agent_refuses_what_it_does_not_serve(
    agent_port: int, data_root: Path, falcon_program: str, tmp_path: Path, path: str, says: str
) -> None:
    url = f"falcon://127.0.0.1:{agent_port}{path.format(root=data_root)}"
    with pytest.raises(FalconError, match=says):
        receive(url, str(tmp_path / "d"), settings(falcon_program))
    assert falcon_children() == []


@pytest.mark.timeout(60)
def test_no_agent_is_a_clear_error_and_the_receiver_is_stopped(
    falcon_program: str, tmp_path: Path
) -> None:
    port = free_port("127.0.0.1")
    with pytest.raises(FalconError, match="cannot reach the Falcon agent at 127.0.0.1:.*running"):
        receive(f"falcon://127.0.0.1:{port}/data", str(tmp_path / "d"), settings(falcon_program))
    assert falcon_children() == []


@pytest.mark.timeout(60)
def test_the_app_fails_when_staging_fails(
    load_parsl: LoadParsl, falcon_program: str, tmp_path: Path
) -> None:
    load_parsl([FalconStaging(falcon=falcon_program)], working_dir=str(tmp_path / "w"))
    port = free_port("127.0.0.1")
    fut = summarize(inputs=[File(f"falcon://127.0.0.1:{port}/data/run")])
    with pytest.raises(FalconError, match="cannot reach the Falcon agent"):
        fut.result(timeout=30)


@pytest.mark.timeout(60)
def test_a_sender_without_receiver_is_reported_despite_exit_code_0(
    falcon_program: str, data_root: Path
) -> None:
    runner = SenderRunner(str(data_root), falcon_program, timeout=30)
    port = free_port("127.0.0.1")
    with pytest.raises(FalconError, match=r"completed 0 of 4 files towards 127.0.0.1:\d+"):
        runner.send(SendRequest(str(data_root / "run42"), "127.0.0.1", port))


def test_a_missing_program_is_named(tmp_path: Path) -> None:
    with pytest.raises(FalconError, match="'/nonexistent/falcon' was not found"):
        receive("falcon://127.0.0.1/d", str(tmp_path / "d"), settings("/nonexistent/falcon"))


@pytest.mark.timeout(30)
def test_a_receiver_that_dies_at_once_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FalconError, match="falcon receiver exited with 1 before listening"):
        receive("falcon://127.0.0.1/d", str(tmp_path / "d"), settings("/bin/false"))


@pytest.mark.timeout(30)
def test_a_receiver_that_never_listens_is_stopped(tmp_path: Path) -> None:
    script = tmp_path / "fake-falcon"
    script.write_text("#!/bin/sh\nexec sleep 60\n")
    script.chmod(0o755)
    start = time.monotonic()
    with pytest.raises(FalconError, match="did not listen on port .* within 0.5 s"):
        receive(
            "falcon://127.0.0.1/d", str(tmp_path / "d"), settings(str(script), listen_timeout=0.5)
        )
    assert time.monotonic() - start < 10
    assert falcon_children() == []


FAKE_RECEIVER = """#!{python}
import socket, sys, time
args = sys.argv[1:]
s = socket.socket(); s.bind((args[args.index("--host") + 1], int(args[args.index("--port") + 1])))
s.listen(1); time.sleep(0.5)
"""


@pytest.fixture
def lying_agent() -> Iterator[int]:
    """An agent stand-in that claims to have sent a file which never arrives."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.makefile("rb").readline()
            conn.sendall(encode_result_ok())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    server.close()
    thread.join(timeout=10)


def encode_result_ok() -> bytes:
    from parsl.data_provider.falcon import SendResult

    return encode_result(SendResult((("a.txt", 5),), 1))


@pytest.mark.timeout(30)
def test_files_that_did_not_arrive_fail_the_staging(lying_agent: int, tmp_path: Path) -> None:
    import sys

    script = tmp_path / "fake-falcon"
    script.write_text(FAKE_RECEIVER.format(python=sys.executable))
    script.chmod(0o755)
    with pytest.raises(FalconError, match=r"1 of 1 files did not arrive whole .*a.txt \(5 bytes\)"):
        receive(f"falcon://127.0.0.1:{lying_agent}/d", str(tmp_path / "d"), settings(str(script)))


def test_is_listening_sees_a_listening_socket() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
        assert not is_listening(port)
        s.listen(1)
        assert is_listening(port)


def test_the_wrapper_pickles() -> None:
    f = File("falcon://h/d")
    w = FalconReceiveThenRun(len, f, settings("falcon"))
    clone = pickle.loads(pickle.dumps(w))
    assert clone.settings == w.settings and clone.__name__ == "len"
