"""The web server: a small WSGI app on the standard library's wsgiref, one thread per request.

Routes (every page also answers ``?format=json`` with its live sections,
which the page's script polls while the workflow runs):

* ``/`` -- the workflows
* ``/workflow/RUN_ID`` -- overview; ``/tasks``, ``/dag``, ``/resources`` below it
* ``/workflow/RUN_ID/task/TASK_ID`` -- one task
* ``/workflow/RUN_ID/files`` -- every file its tasks read or wrote (file provenance)
* ``/files?q=PATTERN`` -- file names over all workflows (``%`` is the wildcard)
* ``/file/FILE_ID``, ``/environment/ENVIRONMENT_ID`` -- one file, one executor's environment

Failures become an HTML page with a plain message and the right status
(404 unknown run, task, file or environment, 400 bad parameter, 503 database unreadable,
500 anything else, logged); never a traceback.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import re
import socketserver
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sqlalchemy.exc import SQLAlchemyError

from parsl.monitoring.visualization.database import Database
from parsl.monitoring.visualization.errors import (
    BadRequestError,
    NotFoundError,
    ServerStartError,
)
from parsl.monitoring.visualization.render import Links, Page, Renderer
from parsl.monitoring.visualization.views_common import ViewContext
from parsl.monitoring.visualization.views_detail import resources_page, task_page
from parsl.monitoring.visualization.views_files import (
    environment_page,
    file_page,
    file_search_page,
    run_files_page,
)
from parsl.monitoring.visualization.views_workflow import (
    dag_page,
    tasks_page,
    workflow_page,
    workflows_page,
)

logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]

_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/$"), "workflows"),
    (re.compile(r"^/workflow/(?P<run>[^/]+)/?$"), "workflow"),
    (re.compile(r"^/workflow/(?P<run>[^/]+)/tasks/?$"), "tasks"),
    (re.compile(r"^/workflow/(?P<run>[^/]+)/dag/?$"), "dag"),
    (re.compile(r"^/workflow/(?P<run>[^/]+)/resources/?$"), "resources"),
    (re.compile(r"^/workflow/(?P<run>[^/]+)/task/(?P<task>-?\d+)/?$"), "task"),
    (re.compile(r"^/workflow/(?P<run>[^/]+)/files/?$"), "run_files"),
    (re.compile(r"^/files/?$"), "files"),
    (re.compile(r"^/file/(?P<file>[^/]+)/?$"), "file"),
    (re.compile(r"^/environment/(?P<env>[^/]+)/?$"), "environment"),
]

POLL_MS = 2000
"""How often a live page asks for fresh sections."""


class VisualizeApp:
    """The WSGI application over one read-only database."""

    def __init__(self, db: Database, poll_ms: int = POLL_MS) -> None:
        self.db = db
        self.poll_ms = poll_ms
        self.renderer = Renderer()
        self.ctx = ViewContext(db=db, renderer=self.renderer, links=Links())

    def build(self, path: str, params: dict[str, str]) -> Page:
        for pattern, name in _ROUTES:
            m = pattern.match(path)
            if m is None:
                continue
            with self.db.engine.connect() as conn:
                if name == "workflows":
                    return workflows_page(self.ctx, conn, params)
                if name == "files":
                    return file_search_page(self.ctx, conn, params)
                if name == "file":
                    return file_page(self.ctx, conn, unquote(m.group("file")), params)
                if name == "environment":
                    return environment_page(self.ctx, conn, unquote(m.group("env")), params)
                run = unquote(m.group("run"))
                if name == "workflow":
                    return workflow_page(self.ctx, conn, run, params)
                if name == "tasks":
                    return tasks_page(self.ctx, conn, run, params)
                if name == "dag":
                    return dag_page(self.ctx, conn, run, params)
                if name == "resources":
                    return resources_page(self.ctx, conn, run, params)
                if name == "run_files":
                    return run_files_page(self.ctx, conn, run, params)
                return task_page(self.ctx, conn, run, int(m.group("task")), params)
        raise NotFoundError(f"there is no page at {path}")

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/") or "/"
        params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        want_json = params.pop("format", "") == "json"
        if method not in ("GET", "HEAD"):
            return self._error(
                start_response,
                "405 Method Not Allowed",
                "Method not allowed",
                f"{method} is not supported; parsl-visualize is read-only.",
            )
        try:
            status, ctype, body = self.respond(environ, path, params, want_json)
        except NotFoundError as e:
            return self._error(start_response, "404 Not Found", "Not found", str(e), want_json)
        except BadRequestError as e:
            return self._error(start_response, "400 Bad Request", "Bad request", str(e), want_json)
        except SQLAlchemyError as e:
            logger.warning("database error on %s: %s", path, e)
            msg = f"The monitoring database could not be read: {getattr(e, 'orig', None) or e}"
            return self._error(
                start_response, "503 Service Unavailable", "Database error", msg, want_json
            )
        except Exception:
            logger.exception("error rendering %s", path)
            return self._error(
                start_response,
                "500 Internal Server Error",
                "Internal error",
                "parsl-visualize failed to render this page; the server log has the details.",
                want_json,
            )
        return self._send(start_response, status, ctype, body)

    def respond(
        self, environ: dict[str, Any], path: str, params: dict[str, str], want_json: bool
    ) -> tuple[str, str, bytes]:
        """(status, content type, body) of a page, or of its live sections as JSON."""
        page = self.build(path, params)
        if want_json:
            body = json.dumps(
                {
                    "sections": {s.key: s.html for s in page.sections if s.live},
                    "done": not page.live,
                    "updated": dt.datetime.now().strftime("%H:%M:%S"),
                }
            ).encode()
            return "200 OK", "application/json", body
        query = environ.get("QUERY_STRING", "")
        poll = path + "?" + (query + "&" if query else "") + "format=json"
        html = self.renderer.page(page, self.db.url, poll, self.poll_ms)
        return "200 OK", "text/html; charset=utf-8", html.encode()

    def _send(
        self, start_response: StartResponse, status: str, ctype: str, body: bytes
    ) -> list[bytes]:
        start_response(
            status,
            [
                ("Content-Type", ctype),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]

    def _error(
        self,
        start_response: StartResponse,
        status: str,
        title: str,
        message: str,
        want_json: bool = False,
    ) -> list[bytes]:
        if want_json:
            body = json.dumps({"error": message}).encode()
            return self._send(start_response, status, "application/json", body)
        html = self.renderer.error(title, message, self.db.url)
        return self._send(start_response, status, "text/html; charset=utf-8", html.encode())


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = False

    @property
    def server_name_bound(self) -> str:
        """The address bound (not its reverse-DNS name, which ``server_name`` holds)."""
        return str(self.server_address[0])


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


def create_server(app: VisualizeApp, host: str, port: int) -> _ThreadingServer:
    """Bind ``host:port`` (port 0: any free port); ServerStartError when that is impossible."""
    try:
        server = make_server(
            host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise ServerStartError(
                f"port {port} on {host} is already in use; choose another with --port"
            ) from None
        raise ServerStartError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    assert isinstance(server, _ThreadingServer)
    return server


class BackgroundServer:
    """A server answering on its own thread, for embedding (tests, notebooks) and stopping later."""

    def __init__(
        self, db: Database, host: str = "127.0.0.1", port: int = 0, poll_ms: int = POLL_MS
    ) -> None:
        self.server = create_server(VisualizeApp(db, poll_ms), host, port)
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="parsl-visualize",
            daemon=True,
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.server.server_name_bound}:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
