"""A payload whose serializer is not registered here is read by the one an installed package registers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from parsl import plugins
from parsl.serialize import DeserializationError, deserialize, facade
from parsl.serialize.errors import DeserializerPluginError
from parsl.serialize.facade import additional_methods_for_deserialization

PLUGIN = """
from parsl.serialize.base import SerializerBase

class Upper(SerializerBase):
    identifier = b"{ident}"

    def serialize(self, data):
        return data.upper().encode()

    def deserialize(self, body):
        return "read by plugin: " + body.decode()
"""


def _install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ep_name: str, ident: str) -> None:
    (tmp_path / "upper_ser_pkg.py").write_text(textwrap.dedent(PLUGIN.format(ident=ident)))
    info = tmp_path / "upper_ser_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: upper-ser-pkg\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[parsl.serializers]\n{ep_name} = upper_ser_pkg:Upper\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.refresh()


@pytest.fixture
def clean() -> Iterator[None]:
    before = dict(additional_methods_for_deserialization)
    yield
    additional_methods_for_deserialization.clear()
    additional_methods_for_deserialization.update(before)
    sys.modules.pop("upper_ser_pkg", None)
    plugins.refresh()


def test_loaded_by_entry_point_named_like_the_identifier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean: None
) -> None:
    _install(tmp_path, monkeypatch, "Upper", "Upper")
    assert deserialize(b"Upper\nHELLO") == "read by plugin: HELLO"
    assert type(additional_methods_for_deserialization[b"Upper"]).__name__ == "Upper"


def test_loaded_by_scanning_when_the_name_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean: None
) -> None:
    _install(tmp_path, monkeypatch, "upper", "UPx")
    assert deserialize(b"UPx\nabc") == "read by plugin: abc"


def test_unknown_identifier_names_the_group_and_what_to_install(
    clean: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(DeserializationError, match="parsl.serializers.*installed: .*dill") as info:
        deserialize(b"NoSuchSer\nabc")
    # Parsl's name for it, with the identifier
    assert isinstance(info.value, DeserializerPluginError) and info.value.header == b"NoSuchSer"
    # an identifier of this repository's plugins names the distribution to install
    assert facade.SUGGESTED_DISTRIBUTION[b"ProxyStoreSerializer"] == "parsl-proxystore"
    monkeypatch.setitem(facade.SUGGESTED_DISTRIBUTION, b"NotInstalledSer", "parsl-not-installed")
    with pytest.raises(DeserializationError, match="pip install parsl-not-installed"):
        deserialize(b"NotInstalledSer\nabc")


def test_a_registered_name_that_cannot_import_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean: None
) -> None:
    info = tmp_path / "broken_ser-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-ser\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[parsl.serializers]\nBRK = no_such_module_xyz:S\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.refresh()
    with pytest.raises(DeserializerPluginError, match="broken-ser.*cannot be imported") as info:
        deserialize(b"BRK\nabc")
    assert info.value.header == b"BRK"


def test_a_fresh_process_reads_a_plugin_payload(tmp_path: Path) -> None:
    """As an htex worker does: nothing registered, the entry point is found by identifier."""
    (tmp_path / "upper_ser_pkg.py").write_text(textwrap.dedent(PLUGIN.format(ident="Upper")))
    info = tmp_path / "upper_ser_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: upper-ser-pkg\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[parsl.serializers]\nUpper = upper_ser_pkg:Upper\n")
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r});"
        "from parsl.serialize import deserialize; print(deserialize(b'Upper\\nX1'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "read by plugin: X1"
