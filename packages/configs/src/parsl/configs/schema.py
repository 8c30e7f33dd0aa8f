"""The schema of one catalog entry: pydantic models that reject unknown keys and wrong types."""

from __future__ import annotations

import datetime
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: A ``{{name}}`` placeholder in a worker_init or scheduler_options template.
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_HANDLE = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_TARGET = re.compile(r"^(provider|launcher|executor)\.[a-z_][a-z0-9_]*$|^template$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Plugin(_Strict):
    """A provider, launcher or executor: its registered class name and constructor options."""

    type: str = Field(min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)


class NodeSpec(_Strict):
    """What one node of this type has; None where the sources give no number."""

    count: int | None = Field(default=None, ge=1)
    cores: int | None = Field(default=None, ge=1)
    threads: int | None = Field(default=None, ge=1)
    gpus: int = Field(default=0, ge=0)
    memory_gb: float | None = Field(default=None, gt=0)
    accelerators: list[str] = Field(default_factory=list)
    cpu_affinity: str = "none"


class Parameter(_Strict):
    """A value the user supplies (or may override) when loading the entry."""

    meaning: str = Field(min_length=1)
    target: str
    type: Literal["str", "int"] = "str"
    required: bool = True
    default: str | int | None = None
    choices: list[str | int] = Field(default_factory=list)
    pattern: str | None = None
    example: str | int | None = None

    @field_validator("target")
    @classmethod
    def _known_target(cls, value: str) -> str:
        if not _TARGET.match(value):
            raise ValueError(
                "target must be 'provider.<option>', 'launcher.<option>', "
                "'executor.<option>' or 'template'"
            )
        return value

    @model_validator(mode="after")
    def _default_only_when_optional(self) -> Parameter:
        if self.required and self.default is not None:
            raise ValueError("a required parameter has no default; set required = false")
        return self


class Entry(_Strict):
    """One system (and node type) of the catalog."""

    name: str
    system: str = Field(min_length=1)
    site: str = Field(min_length=1)
    node_type: str = Field(min_length=1)
    scheduler: Literal["slurm", "pbspro", "local", "kubernetes"]
    description: str = Field(min_length=1)
    sponsor: str
    sources: list[str] = Field(min_length=1)
    last_verified: datetime.date
    notes: list[str] = Field(default_factory=list)
    unavailable: str | None = None
    node: NodeSpec
    network_interface: str | None = None
    worker_init: str = ""
    provider: Plugin
    launcher: Plugin | None = None
    executor: Plugin = Plugin(type="HighThroughputExecutor")
    parameters: dict[str, Parameter] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("name must be lower-case letters, digits and '-'")
        return value

    @field_validator("sponsor")
    @classmethod
    def _handle(cls, value: str) -> str:
        if not _HANDLE.match(value):
            raise ValueError("sponsor must be a GitHub handle like '@org/team'")
        return value

    @model_validator(mode="after")
    def _placeholders_are_parameters(self) -> Entry:
        templates = [self.worker_init, str(self.provider.options.get("scheduler_options", ""))]
        used = {m.group(1) for text in templates for m in PLACEHOLDER.finditer(text)}
        declared = {n for n, p in self.parameters.items() if p.target == "template"}
        if used - declared:
            raise ValueError(
                f"placeholder(s) {sorted(used - declared)} have no parameter with "
                "target = 'template'"
            )
        if declared - used:
            raise ValueError(f"template parameter(s) {sorted(declared - used)} are never used")
        return self
