"""``parsl-configs``: list, show, render and check catalog entries."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from parsl.configs.build import parameters_of
from parsl.configs.catalog import get_entry, list_entries, read_entry_file
from parsl.configs.render import render_block_script
from parsl.configs.schema import Entry
from parsl.configs.sitedocs import write_site_pages
from parsl.errors import ConfigurationError


def _parse_params(pairs: list[str], entry: Entry) -> dict[str, Any]:
    declared = parameters_of(entry)
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigurationError(f"--param {pair!r} is not KEY=VALUE")
        param = declared.get(key)
        if param is not None and param.type == "int":
            try:
                params[key] = int(value)
            except ValueError as e:
                raise ConfigurationError(
                    f"--param {key}={value!r}: {key} must be an integer ({param.meaning})"
                ) from e
        else:
            params[key] = value
    return params


def show(entry: Entry) -> str:
    """A human-readable summary of one entry."""
    node = entry.node
    lines = [
        f"{entry.name}: {entry.site} {entry.system} ({entry.node_type})",
        f"  {entry.description}",
        f"  scheduler: {entry.scheduler}; provider: {entry.provider.type}; "
        f"launcher: {entry.launcher.type if entry.launcher else '(provider default)'}",
        f"  nodes: {node.count or '?'}; cores/node: {node.cores or '?'}; "
        f"GPUs/node: {node.gpus}; memory/node: {node.memory_gb or '?'} GB",
        f"  accelerators: {', '.join(node.accelerators) or 'none'}; "
        f"cpu_affinity: {node.cpu_affinity}",
        f"  network interface: {entry.network_interface or '(any)'}",
        f"  sponsor: {entry.sponsor}; last verified: {entry.last_verified}",
    ]
    if entry.unavailable:
        lines.append(f"  NOT LOADABLE: {entry.unavailable}")
    lines.append("  parameters:")
    for name, p in parameters_of(entry).items():
        flag = "required" if p.required else f"optional, default {p.default!r}"
        choices = f"; one of {', '.join(map(str, p.choices))}" if p.choices else ""
        lines.append(f"    {name} ({p.type}, {flag}): {p.meaning}{choices}")
    lines.append("  sources:")
    lines += [f"    {s}" for s in entry.sources]
    if entry.notes:
        lines.append("  notes:")
        lines += [f"    - {n}" for n in entry.notes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="parsl-configs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the catalog's entries")
    p_show = sub.add_parser("show", help="describe one entry")
    p_show.add_argument("name")
    p_render = sub.add_parser("render", help="print the batch script one block would submit")
    p_render.add_argument("name")
    p_render.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    p_check = sub.add_parser("check", help="validate an entry file (or a catalog entry by name)")
    p_check.add_argument("file")
    p_docs = sub.add_parser("docs", help="write one Markdown page per entry into a directory")
    p_docs.add_argument("directory")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            for entry in list_entries():
                mark = " (not loadable)" if entry.unavailable else ""
                print(f"{entry.name:24} {entry.site} {entry.system} ({entry.node_type}){mark}")
        elif args.command == "show":
            print(show(get_entry(args.name)))
        elif args.command == "render":
            entry = get_entry(args.name)
            print(render_block_script(entry, _parse_params(args.param, entry)), end="")
        elif args.command == "docs":
            for page in write_site_pages(Path(args.directory)):
                print(page)
        else:
            path = Path(args.file)
            entry = read_entry_file(path) if path.suffix == ".toml" else get_entry(args.file)
            print(f"{entry.name}: valid")
    except ConfigurationError as e:
        print(f"parsl-configs: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
