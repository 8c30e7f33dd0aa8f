"""MonitoringHub's constructor: Parsl's parameters, validated at construction time."""

from __future__ import annotations

from typing import Any

import pytest

from parsl.errors import ConfigurationError, ParslError
from parsl.monitoring.hub import MonitoringHub


def test_public_import_path_resolves_through_the_entry_point() -> None:
    from parsl.monitoring import MonitoringHub as Public
    from parsl.monitoring import MonitoringSink

    assert Public is MonitoringHub
    assert issubclass(Public, MonitoringSink)


def test_defaults_are_parsls() -> None:
    hub = MonitoringHub()
    assert hub.hub_address == "127.0.0.1"
    assert hub.hub_port is None
    assert hub.hub_port_range == (55050, 56000)
    assert hub.workflow_name is None
    assert hub.workflow_version is None
    assert hub.logging_endpoint is None
    assert hub.monitoring_debug is False
    assert hub.resource_monitoring_enabled is True
    assert hub.resource_monitoring_interval == 30
    assert hub.db_path is None  # decided by start(): beside the run directory
    assert "MonitoringHub(" in repr(hub)


def test_all_parameters_are_stored() -> None:
    hub = MonitoringHub(
        hub_address="10.0.0.1",
        hub_port=55055,
        hub_port_range=[50000, 50010],  # type: ignore[arg-type]
        workflow_name="science",
        workflow_version="2",
        logging_endpoint="sqlite:///x/monitoring.db",
        monitoring_debug=True,
        resource_monitoring_enabled=False,
        resource_monitoring_interval=0.5,
        close_timeout=3,
    )
    assert hub.hub_address == "10.0.0.1"
    assert hub.hub_port == 55055
    assert hub.hub_port_range == (50000, 50010)
    assert (hub.workflow_name, hub.workflow_version) == ("science", "2")
    assert hub.logging_endpoint == "sqlite:///x/monitoring.db"
    assert hub.monitoring_debug is True
    assert hub.resource_monitoring_enabled is False
    assert hub.resource_monitoring_interval == 0.5
    assert hub.close_timeout == 3.0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hub_address", 127001),
        ("hub_address", ""),
        ("hub_port", "55055"),
        ("hub_port", 0),
        ("hub_port", 70000),
        ("hub_port", True),
        ("hub_port_range", (1, 2, 3)),
        ("hub_port_range", (56000, 55050)),
        ("hub_port_range", "55050-56000"),
        ("hub_port_range", (0, 10)),
        ("workflow_name", 42),
        ("workflow_version", 1.0),
        ("logging_endpoint", 5),
        ("monitoring_debug", "yes"),
        ("resource_monitoring_enabled", 1),
        ("resource_monitoring_interval", -1),
        ("resource_monitoring_interval", "30"),
        ("resource_monitoring_interval", False),
        ("close_timeout", 0),
        ("close_timeout", None),
    ],
)
def test_bad_value_is_a_configuration_error_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        MonitoringHub(**{field: value})
    assert info.value.field == field
    assert field in str(info.value)
    assert isinstance(info.value, ParslError)


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("mysql+pymysql://localhost/parsl", "the 'mysql' database is not supported"),
        ("oracle://scott@db.example.org/parsl", "the 'oracle' database is not supported"),
        ("nosuchdb://x/y", "the 'nosuchdb' database is not supported"),
        ("postgresql+nosuchdriver://u@127.0.0.1/p", "driver 'postgresql+nosuchdriver'"),
        ("monitoring.db", "sqlite:///monitoring.db"),
        ("sqlite://", "names no database file"),
        ("sqlite:///", "names no database file"),
        ("sqlite:///:memory:", "names no database file"),
        ("sqlite:///dir/", "names a directory"),
    ],
)
def test_bad_logging_endpoint_fails_at_construction(url: str, hint: str) -> None:
    with pytest.raises(ConfigurationError, match="logging_endpoint") as info:
        MonitoringHub(logging_endpoint=url)
    assert hint in str(info.value)
    assert info.value.value == url


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///runinfo/monitoring.db",
        "sqlite:////abs/dir/monitoring.db",
        "postgresql+psycopg://parsl:secret@127.0.0.1:5432/parsl",
    ],
)
def test_good_logging_endpoints_are_accepted_without_connecting(url: str) -> None:
    hub = MonitoringHub(logging_endpoint=url)
    assert hub.logging_endpoint == url
    assert hub.db_url is None  # nothing is opened before parsl.load()


def test_config_accepts_the_hub() -> None:
    from parsl.config import Config

    hub = MonitoringHub()
    assert Config(monitoring=hub).monitoring is hub
