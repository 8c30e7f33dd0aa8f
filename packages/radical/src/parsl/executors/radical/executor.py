"""``RadicalPilotExecutor``: Parsl tasks run by a RADICAL-Pilot pilot.

``start`` opens an ``rp.Session``, submits one pilot described by
``resource`` and the extra keyword arguments (``PilotDescription`` fields:
``cores``, ``gpus``, ``runtime``, ``sandbox``, ``project``, ``queue``, ...)
and attaches a ``TaskManager`` to it. Each Parsl task (Python or bash app)
becomes one executable task that runs the shared task runner
(:mod:`parsl.executors.cctools.runner`, via :mod:`.rankrun`) on the pilot's
resources, with the task's ``parsl_resource_specification`` mapped onto the
TaskDescription (:mod:`.resources`). The function, its arguments and its
result travel as files in ``working_dir``, which the pilot must share
(``local.localhost`` or a cluster's shared filesystem).
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import sys
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from parsl.app.errors import RemoteExceptionWrapper
from parsl.errors import OptionalModuleMissing, bad_value
from parsl.executors.base import NO_SPEC, ParslExecutor, submitted_spec
from parsl.executors.cctools.runner import not_an_exception
from parsl.executors.errors import BadStateException, ExecutorError, UnsupportedFeatureError
from parsl.executors.radical.resources import task_fields
from parsl.representation import RepresentationMixin
from parsl.serialize.facade import deserialize, pack_apply_message

__all__ = ["RadicalPilotExecutor", "RadicalTaskFailed"]

logger = logging.getLogger(__name__)


def _radical() -> Any:
    """The radical.pilot boundary module, imported when the executor starts."""
    try:
        with warnings.catch_warnings():
            # radical.utils warns when imported after `logging` (which Parsl always has
            # imported by now) about fork(); its components start as new programs.
            warnings.filterwarnings("ignore", "Import `radical` modules before", UserWarning)
            from parsl.executors.radical import _rp
    except ImportError as e:
        raise OptionalModuleMissing(
            ["radical.pilot"],
            f"RadicalPilotExecutor needs radical.pilot ({e}): pip install 'radical.pilot>=1.103' "
            "(in an environment of its own, see parsl-radical's README)",
        ) from e
    return _rp


class RadicalTaskFailed(ExecutorError):
    """RADICAL-Pilot reported the task FAILED or CANCELED without a result from the function."""

    def __init__(self, label: str, uid: str, state: str, detail: str) -> None:
        super().__init__(label, f"RADICAL-Pilot task {uid} ended {state}: {detail}")
        self.uid = uid
        self.state = state


class RadicalPilotExecutor(ParslExecutor, RepresentationMixin):
    """Runs Parsl tasks on a RADICAL-Pilot pilot.

    Parameters (Parsl's): ``resource`` (a RADICAL-Pilot resource label such as
    ``"local.localhost"``), ``label``, ``bulk_mode`` (accepted; tasks are
    submitted one by one), ``working_dir`` (where task files go; default
    ``<run_dir>/<label>``), ``rpex_cfg`` (Parsl's raptor master/worker
    configuration: not used by this executor, which needs no raptor; must be
    None) and ``**rpex_pilot_kwargs`` (``rp.PilotDescription`` fields).
    """

    def __init__(
        self,
        resource: str = "local.localhost",
        label: str = "RadicalPilotExecutor",
        bulk_mode: bool = False,
        working_dir: str | None = None,
        rpex_cfg: Any = None,
        **rpex_pilot_kwargs: Any,
    ) -> None:
        if not isinstance(resource, str) or not resource:
            raise bad_value(
                "resource", resource, "a RADICAL-Pilot resource label, e.g. 'local.localhost'"
            )
        if not isinstance(label, str) or not label:
            raise bad_value("label", label, "a non-empty string")
        if not isinstance(bulk_mode, bool):
            raise bad_value("bulk_mode", bulk_mode, "True or False")
        if working_dir is not None and not isinstance(working_dir, str):
            raise bad_value("working_dir", working_dir, "a directory path or None")
        if rpex_cfg is not None:
            raise UnsupportedFeatureError("rpex_cfg (raptor masters and workers)", label)
        self.resource = resource
        self.label = label
        self.bulk_mode = bulk_mode
        self.working_dir = working_dir
        self.rpex_cfg = rpex_cfg
        self.pilot_kwargs = dict(rpex_pilot_kwargs)
        self.session: Any = None
        self.pilot: Any = None
        self.tmgr: Any = None
        self._lock = threading.Lock()
        self._futures: dict[str, tuple[Future[Any], str]] = {}
        self._ids = itertools.count()
        self._error: BaseException | None = None
        self._stopped = False
        self._rp: Any = None

    # ------------------------------------------------------------------ start

    def start(self) -> None:
        """Open the session and submit the pilot (tasks wait for it to become active)."""
        _rp = self._rp = _radical()
        if self.working_dir is None:
            self.working_dir = os.path.join(self.run_dir, self.label)
        os.makedirs(self.working_dir, exist_ok=True)
        bindir = os.path.dirname(sys.executable)
        if shutil.which("radical-pilot-bridge") is None:
            # RADICAL-Pilot starts its components by name: they live next to this Python
            os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
        os.environ.setdefault("VIRTUAL_ENV", os.path.dirname(bindir))
        description = {**self.pilot_kwargs, "resource": self.resource}
        self.session = _rp.session(self.working_dir)
        try:
            self.pilot, self.tmgr = _rp.pilot_and_manager(self.session, description)
            self.tmgr.register_callback(self._state_changed)
        except BaseException:
            self._close_session()
            raise

    # ----------------------------------------------------------------- submit

    def submit(
        self,
        func: Callable[..., Any],
        resource_specification: dict[str, Any] = NO_SPEC,
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Future[Any]:
        """Write the call to a file and submit one RADICAL-Pilot task that runs it."""
        resource_specification = submitted_spec(resource_specification, kwargs)
        fields = task_fields(resource_specification)
        if self._error is not None:
            raise BadStateException(self.label, f"the pilot failed: {self._error}")
        if self._stopped or self.tmgr is None:
            raise BadStateException(self.label, "the executor is not running")
        assert self.working_dir is not None
        n = next(self._ids)
        stem = os.path.join(self.working_dir, f"task{n:06d}")
        with open(stem + ".map", "wb") as f:
            f.write(b"\x80\x04}\x94.")  # pickle of {}: no File arguments to redirect
        with open(stem + ".fn", "wb") as f:
            f.write(pack_apply_message(func, args, kwargs))
        description = {
            "name": f"{getattr(func, '__name__', 'task')}-{n}",
            "executable": sys.executable,
            "arguments": [
                "-m",
                "parsl.executors.radical.rankrun",
                stem + ".map",
                stem + ".fn",
                stem + ".result",
            ],
            **fields,
        }
        fut: Future[Any] = Future()
        with self._lock:
            task = self._rp.submit(self.tmgr, description)
            self._futures[task.uid] = (fut, stem)
        if task.state in self._rp.FINAL:  # ended before the callback was registered for it
            self._state_changed(task, task.state)
        return fut

    def _state_changed(self, task: Any, state: str) -> None:
        if state not in self._rp.FINAL:
            return
        with self._lock:
            entry = self._futures.pop(task.uid, None)
        if entry is None:
            return
        fut, stem = entry
        try:
            self._complete(fut, stem, task, state)
        except Exception as e:  # a result that cannot be read is the task's failure
            if not fut.done():
                fut.set_exception(e)

    def _complete(self, fut: Future[Any], stem: str, task: Any, state: str) -> None:
        result_path = stem + ".result"
        if os.path.exists(result_path):
            with open(result_path, "rb") as f:
                body = deserialize(f.read())
            if body["ok"]:
                fut.set_result(body["value"])
            else:
                wrapped: RemoteExceptionWrapper = body["exception"]
                exc = wrapped.get_exception()
                reason = not_an_exception(exc)  # sys.exit() must not end the calling script
                if reason is not None:
                    failure = RadicalTaskFailed(self.label, task.uid, state, reason)
                    failure.__cause__ = exc
                    exc = failure
                fut.set_exception(exc)
            return
        stderr = (getattr(task, "stderr", "") or "").strip()[-2000:]
        detail = f"exit code {getattr(task, 'exit_code', None)}"
        for name in ("exception", "exception_detail"):
            extra = getattr(task, name, None)
            if extra:
                detail += f"; {name}: {str(extra).strip()[-2000:]}"
        if stderr:
            detail += f"; stderr: {stderr}"
        fut.set_exception(RadicalTaskFailed(self.label, task.uid, state, detail))

    @property
    def outstanding(self) -> int:
        with self._lock:
            return len(self._futures)

    # --------------------------------------------------------------- shutdown

    def shutdown(self) -> None:
        """Close the session (pilot and components stop); tasks still outstanding fail."""
        if self._stopped:
            return
        self._stopped = True
        self._close_session()
        with self._lock:
            left, self._futures = self._futures, {}
        for fut, _ in left.values():
            if not fut.done():
                fut.set_exception(
                    BadStateException(self.label, "shut down before the task finished")
                )

    def _close_session(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            try:
                self._rp.close(session)
            except Exception:
                logger.exception(
                    "executor %s: closing the RADICAL-Pilot session failed", self.label
                )
