"""Starting and stopping the interchange process, each with a deadline."""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import time
from typing import Any

from parsl.executors.high_throughput.errors import InterchangeStartFailed
from parsl.executors.high_throughput.frame_pipe import no_sigpipe, widen_pipe
from parsl.executors.high_throughput.interchange_settings import InterchangeSettings


def _tail(path: str, limit: int = 2000) -> str:
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    return text[-limit:]


def launch_interchange(
    launch_cmd: list[str], settings: InterchangeSettings, timeout: float
) -> tuple[subprocess.Popen[bytes], dict[str, Any], bytes]:
    """Start the interchange and wait at most ``timeout`` s for its ready line (its worker port).

    The settings go as one JSON line on the interchange's stdin; after its
    ready line on stdout, the two pipes carry frames both ways
    (:mod:`~parsl.executors.high_throughput.frame_pipe`): ``process.stdin``
    to it, ``process.stdout`` from it. Returns the process, the ready line
    and any bytes read after it (the first frames). The process runs in a
    session of its own (a Ctrl-C in the user's terminal does not reach it;
    the executor stops it). Raises :class:`InterchangeStartFailed` with its
    stderr when it exits, reports an error, or stays silent; the process is
    stopped first.
    """
    os.makedirs(settings.logdir, exist_ok=True)
    stderr_path = os.path.join(settings.logdir, "interchange.stderr")
    with open(stderr_path, "wb") as stderr:
        try:
            process = subprocess.Popen(
                launch_cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                start_new_session=True,
            )
        except OSError as e:
            raise InterchangeStartFailed(
                f"cannot run the interchange command {launch_cmd}: {e}"
            ) from e
    assert process.stdin is not None and process.stdout is not None
    try:
        widen_pipe(process.stdin.fileno())
        widen_pipe(process.stdout.fileno())
        try:
            with no_sigpipe():
                process.stdin.write(settings.to_json().encode() + b"\n")
                process.stdin.flush()
        except BrokenPipeError:
            pass  # it exited already: the ready line's reader says how
        ready, rest = _read_ready_line(process, stderr_path, timeout)
    except BaseException:
        stop_process(process, grace=2.0)
        for pipe in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                pipe.close()
        raise
    return process, ready, rest


def _read_ready_line(
    process: subprocess.Popen[bytes], stderr_path: str, timeout: float
) -> tuple[dict[str, Any], bytes]:
    assert process.stdout is not None
    fd = process.stdout.fileno()
    deadline = time.monotonic() + timeout
    data = b""
    while b"\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise InterchangeStartFailed(
                f"the interchange did not report ready within {timeout} s; "
                f"its stderr: {_tail(stderr_path) or '(empty)'}"
            )
        readable, _, _ = select.select([fd], [], [], remaining)
        if readable:
            chunk = os.read(fd, 4096)
            if not chunk:
                code = process.wait(timeout=5)
                raise InterchangeStartFailed(
                    f"the interchange exited with code {code} before reporting ready; "
                    f"its stderr: {_tail(stderr_path) or '(empty)'}"
                )
            data += chunk
    line, rest = data.split(b"\n", 1)
    try:
        ready: dict[str, Any] = json.loads(line)
    except ValueError:
        raise InterchangeStartFailed(
            f"the interchange wrote {line[:200]!r} instead of its ready line; "
            f"its stderr: {_tail(stderr_path) or '(empty)'}"
        ) from None
    if "error" in ready:
        raise InterchangeStartFailed(f"the interchange could not start: {ready['error']}")
    return ready, rest


def read_settings_line(fd: int) -> tuple[bytes, bytes]:
    """The interchange's side: its settings line from ``fd`` (blocking), and any bytes after it."""
    data = b""
    while b"\n" not in data:
        chunk = os.read(fd, 65536)
        if not chunk:
            raise EOFError("stdin closed before the settings line")
        data += chunk
    line, rest = data.split(b"\n", 1)
    return line, rest


def stop_process(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; always reaped."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
