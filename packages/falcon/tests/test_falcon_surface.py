"""FalconStaging's construction, URL handling, protocol messages and the agent's command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from parsl import plugins
from parsl.data_provider.falcon import (
    FalconError,
    FalconLocation,
    FalconStaging,
    ProtocolError,
    SendRequest,
    SendResult,
    parse_falcon_url,
)
from parsl.data_provider.falcon._protocol import (
    completed_files,
    decode_request,
    decode_result,
    encode_request,
    encode_result,
)
from parsl.data_provider.files import File
from parsl.errors import ConfigurationError


def test_entry_point_and_schemes() -> None:
    assert plugins.load("parsl.staging", "FalconStaging") is FalconStaging
    s = FalconStaging()
    assert s.can_stage_in(File("falcon://h/d")) and s.can_stage_in(File("FALCON://h:1/d"))
    assert not s.can_stage_in(File("/d")) and not s.can_stage_out(File("falcon://h/d"))
    assert repr(s) == "FalconStaging(receiver_host='127.0.0.1')"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"receiver_host": "bad host!"}, "receiver_host"),
        ({"receiver_host": 5}, "receiver_host"),
        ({"falcon": ""}, "falcon"),
        ({"timeout": 0}, "timeout"),
        ({"listen_timeout": True}, "listen_timeout"),
        ({"max_cc": 0}, "max_cc"),
    ],
)
def test_bad_arguments_are_configuration_errors(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigurationError, match=f"FalconStaging.{field}"):
        FalconStaging(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("falcon://dtn1/data/run/", FalconLocation("dtn1", 50100, "/data/run")),
        ("falcon://10.0.0.5:6000/x", FalconLocation("10.0.0.5", 6000, "/x")),
    ],
)
def test_urls(url: str, expected: FalconLocation) -> None:
    assert parse_falcon_url(url) == expected


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("falcon:///data", "no host"),
        ("falcon://h", "no directory"),
        ("falcon://h:99999/d", "agent port"),
        ("http://h/d", "not a falcon:// URL"),
    ],
)
def test_bad_urls(url: str, says: str) -> None:
    with pytest.raises(FalconError, match=says):
        parse_falcon_url(url)


def test_request_and_result_round_trip() -> None:
    req = SendRequest("/data/run", "10.1.2.3", 5000, 4)
    assert decode_request(encode_request(req)) == req
    res = SendResult((("a", 1), ("b/c", 2)), 2)
    assert decode_result(encode_result(res)) == res
    with pytest.raises(FalconError, match="could not send: nope"):
        decode_result(encode_result("nope"))


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b"not json\n", "not a JSON message"),
        (b"[1]\n", "JSON object"),
        (b'{"protocol": 2, "op": "send"}\n', "protocol version 2 is not 1"),
        (b'{"protocol": 1, "op": "rm"}\n', "unknown operation"),
        (b'{"protocol": 1, "op": "send", "dir": "rel"}\n', "absolute path"),
        (
            b'{"protocol": 1, "op": "send", "dir": "/d", "host": "a b", "port": 1}\n',
            "not a host name",
        ),
        (
            b'{"protocol": 1, "op": "send", "dir": "/d", "host": "h", "port": 0}\n',
            "not a TCP port",
        ),
        (
            b'{"protocol": 1, "op": "send", "dir": "/d", "host": "h", "port": 1, "max_cc": 0}\n',
            "max_cc",
        ),
        (b"x" * (1 << 21), "longer than"),
    ],
)
def test_bad_requests_are_protocol_errors(line: bytes, says: str) -> None:
    with pytest.raises(ProtocolError, match=says):
        decode_request(line)


def test_bad_results_are_protocol_errors() -> None:
    with pytest.raises(ProtocolError, match="needs 'files'"):
        decode_result(json.dumps({"protocol": 1, "ok": True, "files": [["a"]]}).encode())


def test_completed_files_reads_falcons_summary() -> None:
    log = (
        "INFO: Throughput @0.1s: Current: 0.0Mbps, Files Completed: 2/2\n"
        "INFO: Total: 0.002 GB, Files Completed: 2, Time: 0.062 sec, Throughput: 264.26 Mbps\n"
    )
    assert completed_files(log) == 2
    assert completed_files("nothing here") is None


@pytest.mark.timeout(30)
def test_agent_command_line_errors(tmp_path: Path) -> None:
    base = [sys.executable, "-m", "parsl.data_provider.falcon._agent"]
    done = subprocess.run(
        [*base, "--root", str(tmp_path / "nope"), "--falcon", "/bin/true"],
        capture_output=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 1 and b"is not a directory" in done.stderr
    done = subprocess.run(
        [*base, "--root", str(tmp_path), "--falcon", "/nonexistent/falcon"],
        capture_output=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 1 and b"was not found" in done.stderr
