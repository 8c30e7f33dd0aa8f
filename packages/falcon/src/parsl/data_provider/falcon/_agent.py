"""``parsl-falcon-agent``: runs ``falcon sender`` on the data's host when a worker asks.

It listens on 127.0.0.1 unless ``--bind`` says otherwise, serves only
directories under ``--root``, and answers each request once the sender has
finished, with the directory's file list so the worker can check what arrived.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socketserver
import subprocess
import sys
from collections.abc import Sequence

from parsl.data_provider.falcon._falcon_cli import find_falcon, stop, tail
from parsl.data_provider.falcon._protocol import (
    MAX_LINE,
    FalconError,
    ProtocolError,
    SendRequest,
    SendResult,
    completed_files,
    decode_request,
    encode_result,
)

logger = logging.getLogger(__name__)
REQUEST_READ_TIMEOUT = 30.0


def manifest(directory: str) -> tuple[tuple[str, int], ...]:
    """Every regular file under ``directory``: (path relative to it, size), sorted."""
    found = []
    for dirpath, _dirs, files in os.walk(directory):
        for name in files:
            path = os.path.join(dirpath, name)
            if os.path.isfile(path):
                found.append((os.path.relpath(path, directory), os.path.getsize(path)))
    return tuple(sorted(found))


class SenderRunner:
    """Validates requests against ``root`` and runs one ``falcon sender`` per request."""

    def __init__(self, root: str, falcon: str, timeout: float, method: str = "probe") -> None:
        self.root = os.path.realpath(root)
        self.falcon = falcon
        self.timeout = timeout
        self.method = method

    def resolve(self, directory: str) -> str:
        real = os.path.realpath(directory)
        if os.path.commonpath([real, self.root]) != self.root:
            raise FalconError(f"{directory} is outside the directory this agent serves")
        if not os.path.isdir(real):
            raise FalconError(f"{directory} is not a directory on the agent's host")
        return real

    def command(self, req: SendRequest, directory: str) -> list[str]:
        cmd = [self.falcon, "sender", "--host", req.host, "--port", str(req.port)]
        cmd += ["--data_dir", directory.rstrip("/") + "/", "--method", self.method]
        if req.max_cc is not None:
            cmd += ["--max_cc", str(req.max_cc)]
        return cmd

    def send(self, req: SendRequest) -> SendResult:
        directory = self.resolve(req.directory)
        files = manifest(directory)
        if not files:
            return SendResult(files, 0)
        proc = subprocess.Popen(
            self.command(req, directory),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            out, _ = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            stop(proc)
            raise FalconError(f"falcon sender did not finish within {self.timeout:g} s") from None
        finally:
            stop(proc)
        log = out.decode(errors="replace")
        if proc.returncode != 0:
            raise FalconError(f"falcon sender exited with {proc.returncode}: {tail(log)}")
        completed = completed_files(log)
        if completed is None or completed < len(files):
            raise FalconError(
                f"falcon sender completed {completed or 0} of {len(files)} files towards "
                f"{req.host}:{req.port} (is the receiver listening there?): {tail(log)}"
            )
        return SendResult(files, completed)


class _Handler(socketserver.StreamRequestHandler):
    server: AgentServer

    def handle(self) -> None:
        self.connection.settimeout(REQUEST_READ_TIMEOUT)
        try:
            line = self.rfile.readline(MAX_LINE + 1)
            req = decode_request(line)
            logger.info("sending %s to %s:%d", req.directory, req.host, req.port)
            self.connection.settimeout(None)
            reply = encode_result(self.server.runner.send(req))
        except (FalconError, OSError) as e:
            logger.warning("request refused: %s", e)
            reply = encode_result(str(e))
        try:
            self.wfile.write(reply)
        except OSError:  # pragma: no cover - the worker went away
            logger.warning("the worker closed the connection before the reply")


class AgentServer(socketserver.ThreadingTCPServer):
    """The agent's TCP server; one thread per request."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], runner: SenderRunner) -> None:
        self.runner = runner
        super().__init__(address, _Handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM or Ctrl-C; print ``listening on HOST:PORT`` once ready."""
    parser = argparse.ArgumentParser(
        prog="parsl-falcon-agent",
        description="Run falcon sender for Parsl workers that stage falcon:// directories.",
    )
    parser.add_argument("--root", required=True, help="serve only directories under this one")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=50100, help="TCP port (0: any free port)")
    parser.add_argument("--falcon", default=None, help="the falcon program (PATH lookup)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per transfer")
    parser.add_argument("--method", default="probe", help="falcon's --method (probe)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        runner = SenderRunner(args.root, find_falcon(args.falcon), args.timeout, args.method)
        if not os.path.isdir(runner.root):
            raise FalconError(f"--root {args.root} is not a directory")
        server = AgentServer((args.bind, args.port), runner)
    except (FalconError, OSError, ProtocolError) as e:
        print(f"parsl-falcon-agent: {e}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    print(f"listening on {host!s}:{port}", flush=True)
    signal.signal(signal.SIGTERM, _exit_on_term)
    try:
        server.serve_forever(poll_interval=0.1)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
