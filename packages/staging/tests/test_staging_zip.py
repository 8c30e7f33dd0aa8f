"""ZipFileStaging: apps write members of one archive concurrently and read members back."""

from __future__ import annotations

import multiprocessing
import pickle
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import zip_workers

from parsl import File, python_app
from parsl.data_provider.files import File as FileClass
from parsl.data_provider.staging_errors import ZipStagingError
from parsl.data_provider.zip import (
    ZipFileStaging,
    ZipLocation,
    _archive,
    append_member,
    extract_member,
    parse_zip_url,
)
from parsl.dataflow.dflow import DataFlowKernel
from parsl.errors import ConfigurationError

LoadParsl = Callable[..., DataFlowKernel]


@python_app
def write_output(text: str, outputs: list[File]) -> str:
    with open(outputs[0], "w") as f:
        f.write(text)
    return outputs[0].filepath


@python_app
def read_input(inputs: list[File]) -> str:
    with open(inputs[0]) as f:
        return f.read()


@python_app
def write_nothing(outputs: list[File]) -> None:
    return None


@pytest.mark.parametrize(
    ("url", "archive", "member"),
    [
        ("zip:/tmp/a.zip/b.txt", "/tmp/a.zip", "b.txt"),
        ("zip:/tmp/x/a.zip/sub/dir/b.txt", "/tmp/x/a.zip", "sub/dir/b.txt"),
        ("zip:rel/a.ZIP/b", "rel/a.ZIP", "b"),
        ("ZIP:/a.zip//./b", "/a.zip", "b"),
        ("zip:/t/a.zip/in.zip/c", "/t/a.zip", "in.zip/c"),
    ],
)
def test_parse_zip_url_splits_at_first_zip_component(url: str, archive: str, member: str) -> None:
    assert parse_zip_url(url) == ZipLocation(archive, member)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("zip:/tmp/a.tar/b.txt", "no path component ends in '.zip'"),
        ("zip:/tmp/a.zip", "no member"),
        ("zip:/tmp/a.zip/", "no member"),
        ("zip://host/tmp/a.zip/b", "authority (netloc) section (host)"),
        ("zip:/tmp/a.zip/../b", "'..'"),
        ("zip:/tmp/a.zip/b?x=1", "no query"),
        ("http://h/a.zip/b", "not 'zip'"),
        ("zip:/tmp/.zip/b", "no path component ends in '.zip'"),
    ],
)
def test_bad_zip_urls_are_clear_errors(url: str, says: str) -> None:
    with pytest.raises(ZipStagingError, match="zip staging of .* failed: ") as info:
        parse_zip_url(url)
    assert says in info.value.reason
    assert info.value.url == url


def test_a_host_in_a_zip_url_is_parsls_zip_authority_error() -> None:
    from parsl.data_provider.zip import ZipAuthorityError, zip_path_split

    with pytest.raises(ZipAuthorityError) as info:
        parse_zip_url("zip://host/tmp/a.zip/b")
    assert info.value.netloc == "host"
    again = pickle.loads(pickle.dumps(info.value))
    assert (type(again), again.netloc, str(again)) == (ZipAuthorityError, "host", str(info.value))
    assert zip_path_split("/tmp/a.zip/in/side.txt") == ("/tmp/a.zip", "in/side.txt")
    with pytest.raises(ValueError, match="no component ending in '.zip'"):
        zip_path_split("/tmp/a.tar/b")


def test_provider_accepts_only_zip_urls() -> None:
    staging = ZipFileStaging()
    assert staging.can_stage_in(FileClass("zip:/a.zip/b"))
    assert staging.can_stage_out(FileClass("zip:/a.zip/b"))
    for url in ("/a.zip", "file:///a.zip", "http://h/a.zip/b"):
        assert not staging.can_stage_in(FileClass(url))
        assert not staging.can_stage_out(FileClass(url))
    assert repr(staging) == "ZipFileStaging(timeout=120)"


@pytest.mark.parametrize("timeout", [0, -1, "5", True, None])
def test_bad_timeout_is_a_configuration_error(timeout: object) -> None:
    with pytest.raises(ConfigurationError, match="ZipFileStaging.timeout"):
        ZipFileStaging(timeout=timeout)  # type: ignore[arg-type]


def test_outputs_land_in_archive_and_inputs_come_back(
    load_parsl: LoadParsl, tmp_path: Path
) -> None:
    archive = tmp_path / "results" / "run.zip"
    work = tmp_path / "work"
    load_parsl([ZipFileStaging()], working_dir=str(work))
    out = File(f"zip:{archive}/sub/a.txt")
    local = write_output("alpha", outputs=[out]).result(timeout=30)
    assert local == str(work / "sub" / "a.txt")
    with zipfile.ZipFile(archive) as zf:
        assert zf.namelist() == ["sub/a.txt"]
        assert zf.read("sub/a.txt") == b"alpha"
    (work / "sub" / "a.txt").unlink()
    assert read_input(inputs=[File(f"zip:{archive}/sub/a.txt")]).result(timeout=30) == "alpha"


@pytest.mark.timeout(240)
def test_one_thousand_concurrent_outputs_all_arrive(load_parsl: LoadParsl, tmp_path: Path) -> None:
    archive = tmp_path / "many.zip"
    n = 1000
    load_parsl([ZipFileStaging()], working_dir=str(tmp_path / "work"), max_threads=16)
    start = time.perf_counter()
    futures = [
        write_output(f"payload {i}\n", outputs=[File(f"zip:{archive}/out/{i:04d}.txt")])
        for i in range(n)
    ]
    for fu in futures:
        fu.result(timeout=180)
    elapsed = time.perf_counter() - start
    with zipfile.ZipFile(archive) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert len(names) == n
        assert sorted(names) == [f"out/{i:04d}.txt" for i in range(n)]
        assert all(zf.read(f"out/{i:04d}.txt") == f"payload {i}\n".encode() for i in range(n))
    print(f"\nzip stage-out: {n} outputs from 16 threads in {elapsed:.2f} s")


@pytest.mark.timeout(120)
def test_appends_from_several_processes_are_not_lost(tmp_path: Path) -> None:
    archive = str(tmp_path / "procs.zip")
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=zip_workers.append_many, args=(archive, w, 40, str(tmp_path)))
        for w in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=100)
        assert p.exitcode == 0
    with zipfile.ZipFile(archive) as zf:
        assert zf.testzip() is None
        assert len(zf.namelist()) == 160
        assert zf.read("w3/39.txt") == b"3:39"


def test_missing_output_file_fails_the_app(load_parsl: LoadParsl, tmp_path: Path) -> None:
    load_parsl([ZipFileStaging()], working_dir=str(tmp_path / "work"))
    fut = write_nothing(outputs=[File(f"zip:{tmp_path}/a.zip/never.txt")])
    with pytest.raises(ZipStagingError, match="did not write its output file"):
        fut.result(timeout=30)
    assert not (tmp_path / "a.zip").exists()


def test_duplicate_member_is_refused_and_archive_kept(
    load_parsl: LoadParsl, tmp_path: Path
) -> None:
    load_parsl([ZipFileStaging()], working_dir=str(tmp_path / "work"))
    url = f"zip:{tmp_path}/a.zip/same.txt"
    write_output("first", outputs=[File(url)]).result(timeout=30)
    with pytest.raises(ZipStagingError, match="already has a member 'same.txt'"):
        write_output("second", outputs=[File(url)]).result(timeout=30)
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        assert zf.read("same.txt") == b"first"


def test_bad_url_fails_the_app_call_clearly(load_parsl: LoadParsl, tmp_path: Path) -> None:
    from parsl.data_provider.zip import ZipAuthorityError

    dfk = load_parsl([ZipFileStaging()], working_dir=str(tmp_path / "work"))
    # As in Parsl, the call itself raises: no task is made for a file that cannot be staged.
    with pytest.raises(ZipStagingError, match="no path component ends in '.zip'"):
        write_output("x", outputs=[File(f"zip:{tmp_path}/a.tar/x")])
    with pytest.raises(ZipAuthorityError, match="authority"):
        write_output("x", outputs=[File(f"zip://host{tmp_path}/a.zip/x")])
    with pytest.raises(ZipAuthorityError):
        read_input(inputs=[File(f"zip://host{tmp_path}/a.zip/x")])
    assert not dfk.tasks  # nothing was left waiting


def test_stage_in_of_missing_archive_or_member(load_parsl: LoadParsl, tmp_path: Path) -> None:
    load_parsl([ZipFileStaging()], working_dir=str(tmp_path / "work"))
    with pytest.raises(ZipStagingError, match="does not exist"):
        read_input(inputs=[File(f"zip:{tmp_path}/none.zip/a")]).result(timeout=30)
    with zipfile.ZipFile(tmp_path / "has.zip", "w") as zf:
        zf.writestr("a", "A")
    with pytest.raises(ZipStagingError, match="has no member 'b'"):
        read_input(inputs=[File(f"zip:{tmp_path}/has.zip/b")]).result(timeout=30)


def test_a_file_that_is_not_a_zip_is_reported(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.zip"
    bogus.write_text("not a zip archive")
    src = tmp_path / "s.txt"
    src.write_text("s")
    url = f"zip:{bogus}/s.txt"
    with pytest.raises(ZipStagingError, match="not a readable zip file"):
        append_member(parse_zip_url(url), str(src), url, timeout=5)
    with pytest.raises(ZipStagingError, match="not a readable zip file"):
        extract_member(parse_zip_url(url), str(tmp_path / "o"), url, timeout=5)


def test_lock_wait_is_bounded(tmp_path: Path) -> None:
    archive = str(tmp_path / "held.zip")
    url = f"zip:{archive}/a"
    with _archive.locked(archive, url, timeout=5):
        # Another process holds the file lock: simulate with a second descriptor in a child.
        ctx = multiprocessing.get_context("spawn")
        q = ctx.Queue()
        p = ctx.Process(target=zip_workers.try_lock, args=(archive, url, q))
        p.start()
        p.join(timeout=30)
        assert p.exitcode == 0
        assert "stayed locked for 0.2 s" in q.get(timeout=5)


def test_wrappers_pickle(tmp_path: Path) -> None:
    from parsl.data_provider.zip import RunThenZipAppend

    f = FileClass(f"zip:{tmp_path}/p.zip/m.txt")
    w = RunThenZipAppend(len, f, parse_zip_url(f.url), 5.0)
    clone = pickle.loads(pickle.dumps(w))
    assert clone.location == w.location
    assert clone.__name__ == "len"
    assert pickle.loads(pickle.dumps(ZipStagingError("u", "r"))).reason == "r"
