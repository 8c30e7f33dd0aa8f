"""A terminal progress display over a set of futures: done, failed, running, pending, rate, ETA.

::

    from parsl.progress import progress

    for fut in progress([simulate(i) for i in range(1000)]):
        ...  # each future as it finishes

or, to just wait::

    from parsl.progress import Progress

    with Progress(futures) as p:
        p.wait()

On a terminal it keeps one line up to date (rewritten with ``\\r``); on a
pipe or a file it writes a plain line every ``interval`` seconds when the
counts changed, and always a last line at the end. It reads only the
futures and the DataFlowKernel's task records, so it works with or without
a ``MonitoringHub``. Ctrl-C ends the display with a final line and raises
``KeyboardInterrupt`` as usual.
"""

from __future__ import annotations

import os
import queue
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any

from parsl.dataflow.states import FINAL_STATES, States

TTY_INTERVAL = 0.2
"""Seconds between redraws on a terminal."""
PLAIN_INTERVAL = 5.0
"""Seconds between lines on a pipe or a file."""
RATE_WINDOW = 30.0
"""The rate (and so the ETA) is measured over about this many recent seconds."""

_REPORTING: set[str] = set()
"""Labels of executors seen marking their futures running (remembered across displays)."""
_LAUNCHED = frozenset({States.launched, States.running, States.running_ended, States.joining})


@dataclass(frozen=True)
class ProgressCounts:
    """Where a set of futures stands. ``rate`` is finished futures per second; ``eta`` is seconds."""

    total: int
    done: int
    failed: int
    running: int
    pending: int
    elapsed: float
    rate: float | None
    eta: float | None

    @property
    def finished(self) -> int:
        """Futures that are done or failed."""
        return self.done + self.failed


class Progress:
    """Track ``futures`` and show their progress on ``file`` (default: ``sys.stderr``).

    ``done`` counts futures with a result, ``failed`` those with an
    exception. Of the unfinished ones, ``running`` counts tasks the
    DataFlowKernel has launched to an executor (a task in a thread pool's
    queue counts as pending once that executor is seen to mark its futures
    running, which the ThreadPoolExecutor does) and ``pending`` the rest:
    tasks waiting for dependencies, for a retry or for a free worker.
    Futures that are not Parsl's count as running while their own
    ``running()`` says so.

    The display advances while you iterate over the Progress (each future
    as it finishes) or call :meth:`wait`; both end when every future has
    finished. ``interval`` overrides the seconds between updates. Use a
    Progress from one thread (the one that waits).
    """

    def __init__(
        self,
        futures: Iterable[Future[Any]],
        *,
        file: IO[str] | None = None,
        interval: float | None = None,
        label: str = "tasks",
    ) -> None:
        items = _as_future_list(futures)
        if file is None:
            file = sys.stderr
        if not callable(getattr(file, "write", None)):
            raise TypeError(f"file must be a text stream with write(), not {type(file).__name__}")
        if interval is not None and (
            isinstance(interval, bool) or not isinstance(interval, int | float) or interval <= 0
        ):
            raise ValueError(f"interval={interval!r} is not valid: expected seconds > 0 or None")
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, not {type(label).__name__}")
        self._file: IO[str] | None = file
        self.tty = _isatty(file)
        self.interval = float(interval or (TTY_INTERVAL if self.tty else PLAIN_INTERVAL))
        self.label = label
        self.total = len(items)
        self.done = 0
        self.failed = 0
        self._unfinished: dict[int, Future[Any]] = {id(f): f for f in items}
        self._finished_q: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()
        self._ready: deque[Future[Any]] = deque()  # counted, not yet yielded by __iter__
        self._start = time.monotonic()
        self._samples: deque[tuple[float, int]] = deque([(self._start, 0)])
        self._next_draw = self._start
        self._last_plain: tuple[int, int, int, int] | None = None
        self._width = 0
        self._closed = False
        for f in items:
            f.add_done_callback(self._finished_q.put)

    # ----------------------------------------------------------------- public

    def counts(self) -> ProgressCounts:
        """The counts now (running and pending are read from the task records)."""
        self._collect(0)
        return self._counts(time.monotonic())

    def wait(self, timeout: float | None = None) -> ProgressCounts:
        """Show progress until every future has finished; return the final counts.

        Raises ``TimeoutError`` after ``timeout`` seconds (the display stays
        open; call :meth:`wait` again or :meth:`close`). Ctrl-C closes the
        display and re-raises ``KeyboardInterrupt``.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while self._unfinished:
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    raise TimeoutError(
                        f"{self.total - len(self._unfinished)} of {self.total} futures "
                        f"finished within {timeout} s"
                    )
                until = self._next_draw if deadline is None else min(self._next_draw, deadline)
                self._collect(until - now, block=True)
                self._ready.clear()
                self._draw_if_due()
        except KeyboardInterrupt:
            self.close(interrupted=True)
            raise
        self.close()
        return self._counts(time.monotonic())

    def __iter__(self) -> Iterator[Future[Any]]:
        """Each future as it finishes, in the order they finish; the display advances meanwhile."""
        interrupted = False
        try:
            while self._unfinished or self._ready:
                if not self._ready:
                    self._take(max(0.0, self._next_draw - time.monotonic()))
                self._draw_if_due()
                if self._ready:
                    yield self._ready.popleft()
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            self.close(interrupted=interrupted)

    def close(self, interrupted: bool = False) -> None:
        """Write the last line (ending the terminal line); idempotent."""
        if self._closed:
            return
        self._closed = True
        self._collect(0)
        line = self.render(self._counts(time.monotonic()))
        if interrupted:
            line += " (interrupted)"
        self._write(line, final=True)

    def __enter__(self) -> Progress:
        self._draw_if_due()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(interrupted=exc_type is not None and issubclass(exc_type, KeyboardInterrupt))

    def render(self, c: ProgressCounts) -> str:
        """One line for ``c`` (with a bar on a terminal)."""
        text = (
            f"{c.finished}/{c.total} {self.label}: done {c.done} failed {c.failed} "
            f"running {c.running} pending {c.pending} | "
            f"{_rate(c.rate)} {self.label}/s | "
            + ("done in " + _clock(c.elapsed) if c.finished == c.total else "ETA " + _clock(c.eta))
        )
        if not self.tty:
            return text
        cols = _columns(self._file)
        room = min(40, cols - len(text) - 4)  # stay off the last column: no wrap
        if room < 10:
            return text[: cols - 1]
        filled = room if c.total == 0 else room * c.finished // c.total
        return "[" + "#" * filled + "." * (room - filled) + "] " + text

    # ----------------------------------------------------------------- inside

    def _take(self, timeout: float) -> bool:
        """Count one finished future (waiting up to ``timeout``); False if none finished."""
        try:
            if timeout > 0:
                f = self._finished_q.get(timeout=timeout)
            else:
                f = self._finished_q.get_nowait()
        except queue.Empty:
            return False
        del self._unfinished[id(f)]
        if f.cancelled() or f.exception() is not None:
            self.failed += 1
        else:
            self.done += 1
        self._ready.append(f)
        return True

    def _collect(self, timeout: float, block: bool = False) -> None:
        """Count every finished future in the queue; with ``block`` wait up to ``timeout`` for one."""
        if block and not self._take(timeout):
            return
        while self._take(0):
            pass

    def _draw_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_draw or self._closed:
            return
        self._next_draw = now + self.interval
        c = self._counts(now)
        if not self.tty:
            key = (c.done, c.failed, c.running, c.pending)
            if key == self._last_plain:
                return
            self._last_plain = key
        self._write(self.render(c), final=False)

    def _counts(self, now: float) -> ProgressCounts:
        finished = self.done + self.failed
        samples = self._samples
        if now - samples[-1][0] >= 0.1:  # at most ten samples a second: bounded memory
            samples.append((now, finished))
        while len(samples) > 2 and now - samples[1][0] > RATE_WINDOW:
            samples.popleft()
        t0, n0 = samples[0]
        rate = (finished - n0) / (now - t0) if now > t0 and finished > n0 else None
        left = self.total - finished
        eta = 0.0 if left == 0 else (left / rate if rate else None)
        running = 0
        unmarked: dict[str, int] = {}  # per executor: launched tasks not marked running
        for f in list(self._unfinished.values()):
            where = self._where(f)
            if where is True:
                running += 1
            elif where is not False:
                unmarked[where] = unmarked.get(where, 0) + 1
        # Launched, not marked running: queued if the executor marks running tasks, else running.
        running += sum(n for label, n in unmarked.items() if label not in _REPORTING)
        return ProgressCounts(
            total=self.total,
            done=self.done,
            failed=self.failed,
            running=running,
            pending=self.total - finished - running,
            elapsed=now - self._start,
            rate=rate,
            eta=eta,
        )

    def _where(self, f: Future[Any]) -> bool | str:
        """True if ``f`` is running, False if pending, or the executor label if launched there."""
        parent = vars(f).get("parent")  # a DataFuture: its producing task
        if isinstance(parent, Future):
            f = parent
        record = vars(f).get("task_record")
        if record is None:
            return f.running()
        status = record.status
        if status in FINAL_STATES:
            return True  # settling: its future completes in a moment
        if status not in _LAUNCHED:
            return False
        if status is not States.launched:
            return True
        exec_fu = record.exec_fu
        if exec_fu is None:
            return True
        if exec_fu.running():
            _REPORTING.add(record.executor)
            return True
        return str(record.executor)

    def _write(self, line: str, final: bool) -> None:
        file = self._file
        if file is None:
            return
        try:
            if self.tty:
                pad = " " * max(0, self._width - len(line))
                self._width = len(line)
                file.write("\r" + line + pad + ("\n" if final else ""))
            else:
                file.write(line + "\n")
            file.flush()
        except (OSError, ValueError):
            self._file = None  # a closed or broken stream never fails the workflow


def progress(
    futures: Iterable[Future[Any]],
    *,
    file: IO[str] | None = None,
    interval: float | None = None,
    label: str = "tasks",
) -> Iterator[Future[Any]]:
    """Yield each of ``futures`` as it finishes while showing progress (see :class:`Progress`)."""
    return iter(Progress(futures, file=file, interval=interval, label=label))


def _as_future_list(futures: Iterable[Future[Any]]) -> list[Future[Any]]:
    if isinstance(futures, Future):
        raise TypeError(
            "progress needs an iterable of futures (e.g. a list of AppFutures), "
            f"not a single {type(futures).__name__}: wrap it in a list"
        )
    try:
        items = list(futures)
    except TypeError:
        raise TypeError(
            f"progress needs an iterable of futures, not {type(futures).__name__}"
        ) from None
    for i, f in enumerate(items):
        if not isinstance(f, Future):
            raise TypeError(
                f"item {i} is a {type(f).__name__}, not a future: progress tracks the "
                "futures that app calls return"
            )
    return list({id(f): f for f in items}.values())


def _isatty(file: Any) -> bool:
    try:
        return bool(file.isatty())
    except (AttributeError, OSError, ValueError):
        return False


def _columns(file: Any) -> int:
    try:
        return os.get_terminal_size(file.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):
        return 80


def _rate(rate: float | None) -> str:
    if rate is None:
        return "-"
    return f"{rate:.1f}" if rate < 100 else f"{rate:.0f}"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(seconds + 0.5)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


__all__ = ["Progress", "ProgressCounts", "progress"]
