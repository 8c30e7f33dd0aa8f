"""A throwaway PostgreSQL 15 server on 127.0.0.1, started and stopped by pid.

Used by the monitoring tests and by ``tools/bench-monitoring``. PostgreSQL
refuses to run as root, so when we are root ``initdb`` and ``postgres`` run
as the ``postgres`` user (which Debian's ``postgresql`` package creates);
otherwise as ourselves. The data directory lives in a temporary directory
removed at :meth:`PostgresServer.stop`.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Any

PGBIN = os.environ.get("PARSL_TEST_PGBIN", "/usr/lib/postgresql/15/bin")
START_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One running postmaster; ``url(dbname)`` gives SQLAlchemy URLs to it."""

    def __init__(self, base: str, port: int, user: str, as_user: dict[str, Any]) -> None:
        self.base = base
        self.port = port
        self.user = user
        self._as_user = as_user
        self._names = itertools.count()
        self.proc = self._launch()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @classmethod
    def start(cls) -> PostgresServer:
        initdb = os.path.join(PGBIN, "initdb")
        if not os.access(initdb, os.X_OK):
            raise RuntimeError(
                f"PostgreSQL 15 is not installed ({initdb} missing): run tools/setup-env as root "
                "(it installs Debian's postgresql package)"
            )
        base = tempfile.mkdtemp(prefix="parsl-pg-")
        as_user: dict[str, Any] = {}
        user = pwd.getpwuid(os.getuid()).pw_name
        if os.getuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(base, pw.pw_uid, pw.pw_gid)
            as_user = {"user": pw.pw_uid, "group": pw.pw_gid}
            user = "postgres"
        data, sock = os.path.join(base, "data"), os.path.join(base, "sock")
        subprocess.run(
            [initdb, "-D", data, "-U", user, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8",
             "--no-sync"],
            check=True, capture_output=True, timeout=60, **as_user,
        )  # fmt: skip
        os.mkdir(sock)
        if as_user:
            os.chown(sock, as_user["user"], as_user["group"])
        server = cls(base, _free_port(), user, as_user)
        server._wait_ready()
        return server

    def _launch(self) -> subprocess.Popen[bytes]:
        data, sock = os.path.join(self.base, "data"), os.path.join(self.base, "sock")
        with open(os.path.join(self.base, "postgres.log"), "ab") as log:
            return subprocess.Popen(
                [os.path.join(PGBIN, "postgres"), "-D", data, "-p", str(self.port),
                 "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={sock}",
                 "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                stdout=log, stderr=subprocess.STDOUT, **self._as_user,
            )  # fmt: skip

    def restart(self) -> None:
        """Stop the postmaster (cutting every connection) and start it again on the same port."""
        self._shutdown()
        self.proc = self._launch()
        self._wait_ready()

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"postgres exited at start: {self.log_tail()}")
            try:
                psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("postgres did not accept connections") from None
                time.sleep(0.05)

    def dsn(self, dbname: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={dbname}"

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = f"mon_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def log_tail(self) -> str:
        try:
            with open(os.path.join(self.base, "postgres.log"), errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Fast shutdown (SIGINT) by pid, SIGKILL after 30 s; remove the data directory."""
        self._shutdown()
        shutil.rmtree(self.base, ignore_errors=True)

    def _shutdown(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
