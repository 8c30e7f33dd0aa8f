"""Shared helpers: the parameter values the golden files are rendered with."""

from __future__ import annotations

from typing import Any

from parsl.configs import Entry, parameters_of

#: Fixed values for required parameters without an example or choices.
FIXED = {"account": "proj123", "env_setup": "source /opt/env/bin/activate"}


def sample_params(entry: Entry) -> dict[str, Any]:
    """A value for every required parameter of ``entry``: fixed, its example, or its first choice."""
    params: dict[str, Any] = {}
    for name, p in parameters_of(entry).items():
        if not p.required:
            continue
        if name in FIXED:
            params[name] = FIXED[name]
        elif p.example is not None:
            params[name] = p.example
        elif p.choices:
            params[name] = p.choices[0]
        else:
            params[name] = 8 if p.type == "int" else "sample"
    return params
