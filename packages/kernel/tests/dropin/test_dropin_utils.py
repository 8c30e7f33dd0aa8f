"""parsl.utils, parsl.process_loggers, parsl.log_utils and parsl.app.python.timeout, as Parsl documents them."""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import parsl
from parsl.app.errors import AppTimeout, BadStdStreamFile
from parsl.app.python import timeout
from parsl.log_utils import set_file_logger, set_stream_logger
from parsl.process_loggers import wrap_with_logs
from parsl.utils import (
    VERSION,
    AtomicIDCounter,
    AutoCancelTimer,
    RepresentationMixin,
    Timer,
    execute_wait,
    get_std_fname_mode,
    get_version,
    sanitize_dns_label_rfc1123,
    sanitize_dns_subdomain_rfc1123,
    time_limited_open,
    wait_for_file,
    wtime_to_minutes,
)


class Widget(RepresentationMixin):
    def __init__(self, name: str, size: int = 3, *, colour: str = "red") -> None:
        self.name = name
        self.size = size
        self.colour = colour


class Forgetful(RepresentationMixin):
    def __init__(self, kept: int, lost: int = 0) -> None:
        self.kept = kept


def _decorated(init):  # type: ignore[no-untyped-def]
    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return init(self, *args, **kwargs)

    return wrapper


class Wrapped(RepresentationMixin):
    @_decorated
    def __init__(self, a: int, b: int = 2) -> None:
        self.a = a
        self.b = b


def test_representation_mixin_repr_reads_init_arguments() -> None:
    assert repr(Widget("w")) == "Widget('w', size=3, colour='red')"
    assert repr(Wrapped(1)) == "Wrapped(1, b=2)"
    long = repr(Widget("x" * 70, size=5))
    assert long == f"Widget(\n    {'x' * 70!r},\n    size=5,\n    colour='red'\n)"
    # The repository's conftest turns validation on, as Parsl's test suite does: a parameter
    # that is not stored raises ...
    assert RepresentationMixin._validate_repr is True
    with pytest.raises(AttributeError, match="does not store .*'lost'"):
        repr(Forgetful(1))
    # ... while users (validation off, the default) get it left out: printing never fails.
    try:
        RepresentationMixin._validate_repr = False
        assert repr(Forgetful(1)) == "Forgetful(1)"
    finally:
        RepresentationMixin._validate_repr = True


def test_timer_calls_back_every_interval_until_closed() -> None:
    calls: list[str] = []
    timer = Timer(calls.append, "tick", interval=0.05, name="test")
    try:
        deadline = time.monotonic() + 5
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert calls[:3] == ["tick"] * 3
        assert timer._thread.name.startswith("test-Timer-Thread-")
    finally:
        timer.close()
    count = len(calls)
    time.sleep(0.2)
    assert len(calls) == count
    with pytest.raises(ValueError, match="interval"):
        Timer(calls.append, interval=0)
    with pytest.raises(TypeError, match="callable"):
        Timer("not callable")  # type: ignore[arg-type]


def test_timer_survives_a_failing_callback_and_make_callback_calls_now(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = []

    def flaky() -> None:
        calls.append(1)
        raise RuntimeError("flaky")

    timer = Timer(flaky, interval=30)
    try:
        timer.make_callback()
        timer.make_callback()
    finally:
        timer.close()
    assert len(calls) == 2
    assert "keeps running" in caplog.text


def test_auto_cancel_timer_runs_only_if_the_block_outlasts_it() -> None:
    fired = threading.Event()
    with AutoCancelTimer(0.05, fired.set):
        pass
    time.sleep(0.15)
    assert not fired.is_set()
    with AutoCancelTimer(0.05, fired.set) as t:
        assert fired.wait(5)
    t.join(5)  # its function has run; the thread ends just after (not at once on 3.13)
    assert not t.is_alive()


def test_atomic_id_counter_hands_out_distinct_ids_across_threads() -> None:
    counter = AtomicIDCounter()
    got: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(500):
            i = counter.get_id()
            with lock:
                got.append(i)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(2000))


def test_version_and_get_version() -> None:
    assert parsl.__version__ == VERSION
    version = get_version()
    git = shutil.which("git")
    here = os.path.dirname(parsl.__file__)
    if git is None:
        assert version == VERSION
        return
    head = subprocess.run(
        [git, "-C", here, "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    if head.returncode != 0:
        assert version == VERSION
        return
    assert version.startswith(f"{VERSION}-{head.stdout.strip()}-")
    assert version.rsplit("-", 1)[1] in ("clean", "dirty")


def test_wait_for_file_and_time_limited_open(tmp_path: Path) -> None:
    late, draft = tmp_path / "late.txt", tmp_path / "draft.txt"

    def appear() -> None:  # whole at once: wait_for_file waits for the name, not the content
        draft.write_text("here")
        os.replace(draft, late)

    threading.Timer(0.2, appear).start()
    start = time.monotonic()
    with wait_for_file(str(late), seconds=5):
        assert late.exists()
    assert time.monotonic() - start < 4
    with time_limited_open(str(late), "r", seconds=1) as f:
        assert f.read() == "here"
    assert f.closed
    start = time.monotonic()
    with pytest.raises(FileNotFoundError), time_limited_open(str(tmp_path / "never"), "r", 0.3):
        pass
    assert time.monotonic() - start >= 0.3


def test_wtime_to_minutes(caplog: pytest.LogCaptureFixture) -> None:
    assert wtime_to_minutes("01:30:00") == 90
    assert wtime_to_minutes("00:10:59") == 10
    assert wtime_to_minutes("48:00:00") == 2880
    assert wtime_to_minutes("00:00:30") == 0
    assert "less than one minute" in caplog.text
    for bad in ("90", "1:2", "aa:bb:cc", 5):
        with pytest.raises(ValueError, match="HH:MM:SS"):
            wtime_to_minutes(bad)  # type: ignore[arg-type]


def test_execute_wait_returns_code_and_output_and_kills_on_timeout(tmp_path: Path) -> None:
    assert execute_wait("echo out; echo err >&2; exit 4") == (4, "out\n", "err\n")
    marker = tmp_path / "child.pid"
    start = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        execute_wait(f"sleep 30 & echo $! > {marker}; wait", walltime=0.5)
    assert time.monotonic() - start < 10
    child = int(marker.read_text())
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{child}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{child}")  # the whole group was killed
    with pytest.raises(TypeError, match="shell command"):
        execute_wait(["ls"])  # type: ignore[arg-type]


def test_execute_wait_returns_soon_when_an_escaped_process_holds_its_output(
    tmp_path: Path,
) -> None:
    # A process that left the command's session keeps the output pipes open past the
    # kill: the call must still end within its grace, not when that process does.
    marker = tmp_path / "escaped.pid"
    start = time.monotonic()
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            execute_wait(f"setsid sleep 30 & echo $! > {marker}; wait", walltime=0.5)
        assert time.monotonic() - start < 0.5 + 2 * 2.0 + 2  # walltime, then the grace
    finally:
        if marker.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(marker.read_text()), signal.SIGKILL)


@pytest.mark.skipif(not os.path.exists("/proc/self/comm"), reason="needs Linux /proc")
def test_setproctitle_names_the_process() -> None:
    code = (
        "from parsl.utils import setproctitle; setproctitle('parsl-title-test');"
        "import subprocess, os; print(open('/proc/self/comm').read().strip());"
        "print(subprocess.run(['ps', '-o', 'args=', '-p', str(os.getpid())],"
        " capture_output=True, text=True).stdout.strip())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    ).stdout.splitlines()
    assert out[0] == "parsl-title-tes" or "parsl-title-test" in out[1]


def test_get_std_fname_mode() -> None:
    assert get_std_fname_mode("stdout", "out.txt") == ("out.txt", "a+")
    assert get_std_fname_mode("stdout", Path("o.txt")) == ("o.txt", "a+")
    assert get_std_fname_mode("stderr", ("err.txt", "w")) == ("err.txt", "w")
    with pytest.raises(BadStdStreamFile, match="stderr.*length 2"):
        get_std_fname_mode("stderr", ("a", "w", "x"))  # type: ignore[arg-type]
    with pytest.raises(BadStdStreamFile, match="stdout"):
        get_std_fname_mode("stdout", 3)  # type: ignore[arg-type]


def test_sanitize_dns_names() -> None:
    assert sanitize_dns_label_rfc1123("My_Pod--Name!") == "my-pod-name"
    assert sanitize_dns_label_rfc1123("-a-") == "a"
    assert len(sanitize_dns_label_rfc1123("x" * 100)) == 63
    with pytest.raises(ValueError) as e:
        sanitize_dns_label_rfc1123("___")
    assert str(e.value) == "Sanitized DNS label is empty for input '___'"  # Parsl's text
    assert sanitize_dns_subdomain_rfc1123("Parsl.Worker..Block_1.") == "parsl.worker.block-1"
    assert len(sanitize_dns_subdomain_rfc1123(".".join(["y" * 63] * 5))) <= 253
    with pytest.raises(ValueError) as e:
        sanitize_dns_subdomain_rfc1123("...")
    assert str(e.value) == "Sanitized DNS subdomain is empty for input '...'"


def test_set_stream_logger_writes_to_the_given_stream_until_detached() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("parsl.test.stream")
    detach = set_stream_logger("parsl.test.stream", level=logging.INFO, stream=stream)
    try:
        logger.debug("not shown")
        logger.info("shown here")
        logging.getLogger("concurrent.futures").error("callback error seen")
        text = stream.getvalue()
        assert "shown here" in text and "not shown" not in text
        assert "callback error seen" in text
        detach_custom = set_stream_logger(
            "parsl.test.stream", format_string="%(message)s!", stream=stream
        )
        logger.warning("custom")
        assert "custom!\n" in stream.getvalue()
        detach_custom()
    finally:
        detach()  # Parsl's: the returned function removes the handler
    logger.warning("after detaching")
    logging.getLogger("concurrent.futures").error("after detaching too")
    assert "after detaching" not in stream.getvalue()
    assert not logger.handlers
    with pytest.raises(TypeError, match="level"):
        set_stream_logger(level="INFO")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="logger name"):
        set_file_logger("x.log", name=3)  # type: ignore[arg-type]


def test_set_file_logger_appends_to_the_file_until_detached(tmp_path: Path) -> None:
    path = tmp_path / "parsl.log"
    logger = logging.getLogger("parsl.test.file")
    detach = set_file_logger(str(path), name="parsl.test.file", level=logging.WARNING)
    logger.info("quiet")
    logger.warning("loud")
    detach()
    logger.warning("after")
    text = path.read_text()
    assert "loud" in text and "quiet" not in text and "after" not in text
    assert not logger.handlers


def test_wrap_with_logs_logs_normal_and_exceptional_endings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="parsl.process_loggers")
    caplog.set_level(logging.DEBUG, logger="parsl.test.mine")

    @wrap_with_logs
    def fine(x: int) -> int:
        return x + 1

    mine = logging.getLogger("parsl.test.mine")

    @wrap_with_logs(target_logger=mine)
    def broken() -> None:
        raise KeyError("inner")

    assert fine(1) == 2
    assert fine.__name__ == "fine"
    with pytest.raises(KeyError, match="inner"):
        broken()
    normal = [r for r in caplog.records if "Normal ending for fine" in r.getMessage()]
    assert normal and normal[0].name == "parsl.process_loggers"
    bad = [r for r in caplog.records if "Exceptional ending for broken" in r.getMessage()]
    assert bad[0].name == "parsl.test.mine" and bad[0].levelno == logging.ERROR
    assert bad[0].exc_info is not None


def test_timeout_wraps_a_function_with_a_walltime() -> None:
    quick = timeout(lambda x: x * 2, 5)
    assert quick(21) == 42
    slow = timeout(time.sleep, 0.2)
    start = time.monotonic()
    with pytest.raises(AppTimeout):
        slow(5)
    assert time.monotonic() - start < 3
    with pytest.raises(ValueError, match="seconds"):
        timeout(print, 0)
    with pytest.raises(TypeError, match="callable"):
        timeout(3, 1)  # type: ignore[arg-type]
