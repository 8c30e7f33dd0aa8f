"""The task DAG: a layered layout (each task one column right of its deepest dependency) as SVG."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from parsl.monitoring.visualization.svg import empty


def layers(tasks: Sequence[dict[str, Any]]) -> dict[int, int]:
    """Column of each task id: 0 for tasks with no dependency in ``tasks``, else 1 + deepest one.

    Tasks are visited in id order; dependencies always have smaller ids (a
    task can only depend on futures that existed when it was submitted), and
    a dependency outside the window counts as column 0's predecessor.
    """
    depth: dict[int, int] = {}
    for t in sorted(tasks, key=lambda t: int(t["task_id"])):
        deps = [depth[d] for d in t["depends"] if d in depth]
        depth[int(t["task_id"])] = 1 + max(deps) if deps else 0
    return depth


def render(
    tasks: Sequence[dict[str, Any]],
    colour_of: Callable[[dict[str, Any]], str],
    href: Callable[[int], str | None],
) -> str:
    """Nodes coloured by ``colour_of``, edges from each dependency to its dependent."""
    if not tasks:
        return empty("No tasks in this range.")
    depth = layers(tasks)
    columns: dict[int, list[int]] = {}
    for tid in sorted(depth):
        columns.setdefault(depth[tid], []).append(tid)
    col_w, row_h, r = 70.0, 22.0, 7.0
    tallest = max(len(c) for c in columns.values())
    width = max(300.0, 40 + col_w * len(columns))
    height = 20 + row_h * tallest
    pos = {
        tid: (20 + col_w * col, 14 + row_h * row)
        for col, ids in columns.items()
        for row, tid in enumerate(ids)
    }
    edges, nodes = [], []
    for t in tasks:
        x2, y2 = pos[int(t["task_id"])]
        for d in t["depends"]:
            if d in pos:
                x1, y1 = pos[d]
                edges.append(
                    f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" class="edge"/>'
                )
    for t in tasks:
        tid = int(t["task_id"])
        x, y = pos[tid]
        title = f"task {tid} {t['app']} ({t['state']})"
        circle = (
            f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{r}" fill="{colour_of(t)}" class="node" '
            f'data-task="{tid}"><title>{escape(title)}</title></circle>'
        )
        link = href(tid)
        nodes.append(f'<a href="{escape(link)}">{circle}</a>' if link else circle)
    return (
        f'<svg class="dag" viewBox="0 0 {width:.0f} {height:.0f}" width="{min(width, 4000):.0f}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="task dependency graph">'
        + "".join(edges)
        + "".join(nodes)
        + "</svg>"
    )
