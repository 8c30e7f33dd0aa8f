"""Inline SVG charts rendered in Python: the web pages and the offline report share them.

Every function returns one ``<svg>`` element as a string (text escaped),
sized by its viewBox so that it scales to the page width. Charts of no
data return a short ``<p class="empty">`` note instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from parsl.monitoring.visualization.states import state_colour

W = 900
"""Width of every chart's viewBox."""

LEFT = 60
RIGHT = 10


def empty(note: str) -> str:
    return f'<p class="empty">{escape(note)}</p>'


def _svg(height: int, body: list[str], label: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {W} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        + "".join(body)
        + "</svg>"
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, title: str, extra: str = "") -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0.6):.1f}" height="{h:.1f}" '
        f'fill="{fill}"{extra}><title>{escape(title)}</title></rect>'
    )


def _text(x: float, y: float, s: str, anchor: str = "start", cls: str = "lbl") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{cls}">{escape(s)}</text>'


def fmt_seconds(s: float) -> str:
    """A duration for an axis or a table: 850ms, 12.3s, 4m05s, 2h03m."""
    if s < 1:
        return f"{s * 1000:.0f}ms"
    if s < 60:
        return f"{s:.1f}s"
    if s < 3600:
        return f"{int(s // 60)}m{int(s % 60):02d}s"
    return f"{int(s // 3600)}h{int((s % 3600) // 60):02d}m"


def fmt_bytes(b: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(b) < 1024:
            return f"{b:.0f}{unit}" if unit == "B" else f"{b:.1f}{unit}"
        b /= 1024
    return f"{b:.1f}TiB"


def nice_ticks(top: float, n: int = 4) -> list[float]:
    """About ``n`` round tick values from 0 to at least ``top``."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [i * step for i in range(math.ceil(top / step) + 1)]


def _x_axis(y: float, t0: float, t1: float, x0: float, x1: float) -> list[str]:
    out = [f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" class="axis"/>']
    for v in nice_ticks(t1 - t0, 6):
        if v > t1 - t0:
            break
        x = x0 + (x1 - x0) * v / (t1 - t0)
        anchor = "end" if x > x1 - 25 else "middle"  # keep the last label inside the chart
        out.append(_text(x, y + 14, fmt_seconds(v) if v else "0", anchor))
    return out


def _y_axis(
    top: float, h0: float, h1: float, fmt: Callable[[float], str]
) -> tuple[float, list[str]]:
    ticks = nice_ticks(top)
    ymax = ticks[-1] or 1.0
    out = []
    for v in ticks:
        y = h1 - (h1 - h0) * v / ymax
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" class="grid"/>')
        out.append(_text(LEFT - 4, y + 4, fmt(v), "end"))
    return ymax, out


def legend(items: Sequence[tuple[str, str]]) -> str:
    """An HTML legend: coloured swatches with names."""
    return (
        '<div class="legend">'
        + "".join(f'<span><i style="background:{c}"></i>{escape(name)}</span>' for name, c in items)
        + "</div>"
    )


def progress_bar(counts: Sequence[tuple[str, int]]) -> str:
    """One horizontal bar split by task state (counts in lifecycle order)."""
    total = sum(n for _, n in counts)
    if total == 0:
        return empty("No tasks yet.")
    body, x = [], 0.0
    for state, n in counts:
        w = W * n / total
        body.append(
            _rect(x, 0, w, 28, state_colour(state), f"{state}: {n}", f' data-state="{state}"')
        )
        x += w
    return _svg(28, body, "tasks by state") + legend(
        [(f"{s} {n}", state_colour(s)) for s, n in counts]
    )


def stacked_columns(
    span: tuple[float, float] | None, series: dict[str, list[int]], colours: dict[str, str]
) -> str:
    """Counts per time bin stacked by series (e.g. tries launched per app over time)."""
    if span is None or not series:
        return empty("No tries recorded yet.")
    bins = len(next(iter(series.values())))
    totals = [sum(s[i] for s in series.values()) for i in range(bins)]
    h0, h1 = 10.0, 190.0
    ymax, body = _y_axis(max(totals), h0, h1, lambda v: f"{v:g}")
    bw = (W - LEFT - RIGHT) / bins
    base = [0.0] * bins
    for name, counts in series.items():
        for i, n in enumerate(counts):
            if n:
                h = (h1 - h0) * n / ymax
                base[i] += h
                body.append(
                    _rect(LEFT + i * bw, h1 - base[i], bw - 1, h, colours[name], f"{name}: {n}")
                )
    body += _x_axis(h1, span[0], span[1], LEFT, W - RIGHT)
    return _svg(210, body, "tries per app over time") + legend([(n, colours[n]) for n in series])


def line_chart(
    series: dict[str, list[tuple[float, float]]],
    colours: dict[str, str],
    fmt: Callable[[float], str],
    label: str,
) -> str:
    """Lines of (seconds since the first point, value), sharing both axes."""
    pts = [p for s in series.values() for p in s]
    if not pts:
        return empty(f"No samples of {label}.")
    t0 = min(p[0] for p in pts)
    t1 = max(*(p[0] for p in pts), t0 + 0.001)
    h0, h1 = 10.0, 160.0
    ymax, body = _y_axis(max(p[1] for p in pts), h0, h1, fmt)
    for name, s in series.items():
        coords = " ".join(
            f"{LEFT + (W - LEFT - RIGHT) * (t - t0) / (t1 - t0):.1f},{h1 - (h1 - h0) * v / ymax:.1f}"
            for t, v in s
        )
        body.append(
            f'<polyline points="{coords}" fill="none" stroke="{colours[name]}" '
            f'stroke-width="2"><title>{escape(name)}</title></polyline>'
        )
        for t, v in s[-1:]:
            x = LEFT + (W - LEFT - RIGHT) * (t - t0) / (t1 - t0)
            body.append(
                f'<circle cx="{x:.1f}" cy="{h1 - (h1 - h0) * v / ymax:.1f}" r="3" '
                f'fill="{colours[name]}"><title>{escape(name)}: {escape(fmt(v))}</title></circle>'
            )
    body += _x_axis(h1, t0, t1, LEFT, W - RIGHT)
    return _svg(180, body, label) + legend([(n, colours[n]) for n in series])


def pack_lanes(bars: Sequence[tuple[float, float]]) -> list[int]:
    """Greedy interval packing: the lane of each (start, end) bar (sorted by start) so none overlap."""
    ends: list[float] = []
    lanes = []
    for start, end in bars:
        for i, e in enumerate(ends):
            if e <= start:
                ends[i] = end
                lanes.append(i)
                break
        else:
            ends.append(end)
            lanes.append(len(ends) - 1)
    return lanes


def gantt(
    bars: Sequence[dict[str, object]],
    colours: dict[str, str],
    now: float,
    href: Callable[[int], str | None],
) -> str:
    """The task stream: one row per worker slot, grouped by host/block, a bar per try."""
    if not bars:
        return empty("No tries recorded yet.")
    groups: dict[str, list[dict[str, object]]] = {}
    for b in bars:
        key = f"{b['hostname'] or 'unknown'} / block {b['block_id'] or '?'}"
        groups.setdefault(key, []).append(b)
    t0 = min(float(b["start"]) for b in bars)  # type: ignore[arg-type]
    t1 = max(float(b["end"] if b["end"] is not None else now) for b in bars)  # type: ignore[arg-type]
    t1 = max(t1, t0 + 1e-3)
    x0, x1, row_h = 180.0, W - RIGHT, 9.0
    body, y = [], 4.0
    for key, items in sorted(groups.items()):
        spans = [
            (float(b["start"]), float(b["end"] if b["end"] is not None else now))  # type: ignore[arg-type]
            for b in items
        ]
        lanes = pack_lanes(spans)
        nlanes = max(lanes) + 1
        body.append(_text(4, y + min(nlanes, 2) * row_h / 2 + 4, key[:30]))
        for b, (s, e), lane in zip(items, spans, lanes, strict=True):
            x = x0 + (x1 - x0) * (s - t0) / (t1 - t0)
            w = (x1 - x0) * (e - s) / (t1 - t0)
            fill = "#e53935" if b["fail"] else colours.get(str(b["app"]), "#777")
            title = f"task {b['task_id']} try {b['try_id']} {b['app']} {fmt_seconds(e - s)}"
            rect = _rect(x, y + lane * row_h, w, row_h - 2, fill, title)
            link = href(int(b["task_id"]))  # type: ignore[call-overload]
            body.append(f'<a href="{escape(link)}">{rect}</a>' if link else rect)
        y += nlanes * row_h + 6
        body.append(f'<line x1="0" y1="{y - 3:.1f}" x2="{W}" y2="{y - 3:.1f}" class="grid"/>')
    body += _x_axis(y, t0, t1, x0, x1)
    return _svg(int(y + 22), body, "task stream per worker") + legend(
        [*colours.items(), ("failed try", "#e53935")]
    )


def heatmap(span: tuple[float, float] | None, rows: dict[str, list[float]]) -> str:
    """Busy worker-seconds per host (row) and time bin (column), darker is busier."""
    if span is None or not rows:
        return empty("No tries recorded yet.")
    top = max(max(r) for r in rows.values()) or 1.0
    bins = len(next(iter(rows.values())))
    x0, row_h = 180.0, 16.0
    bw = (W - RIGHT - x0) / bins
    body = []
    for i, (host, cells) in enumerate(rows.items()):
        y = 4 + i * row_h
        body.append(_text(4, y + 12, host[:30]))
        for j, v in enumerate(cells):
            if v > 0:
                alpha = 0.15 + 0.85 * v / top
                body.append(
                    _rect(
                        x0 + j * bw,
                        y,
                        bw,
                        row_h - 2,
                        f"rgba(30,136,229,{alpha:.2f})",
                        f"{host}: {fmt_seconds(v)} busy",
                    )
                )
    y = 4 + len(rows) * row_h
    body += _x_axis(y, span[0], span[1], x0, W - RIGHT)
    return _svg(int(y + 22), body, "busy time per host")


def histogram(counts: Sequence[int], colour: str, top: float, fmt: Callable[[float], str]) -> str:
    """A small histogram (bins from 0 to ``top``), for a table cell."""
    if not any(counts):
        return empty("no samples")
    h, w = 40.0, 200.0
    biggest = max(counts)
    bw = w / len(counts)
    body = [
        _rect(
            i * bw,
            h - h * n / biggest,
            bw - 1,
            h * n / biggest,
            colour,
            f"{fmt(top * i / len(counts))}-{fmt(top * (i + 1) / len(counts))}: {n}",
        )
        for i, n in enumerate(counts)
        if n
    ]
    return (
        f'<svg class="spark" viewBox="0 0 {w:.0f} {h:.0f}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body)
        + "</svg>"
    )


def block_timeline(
    history: dict[tuple[str, str], list[tuple[float, str, str | None]]], open_until: float | None
) -> str:
    """A row per block, its life split into segments coloured by provider status.

    A block whose last status is not final is drawn up to ``open_until`` (now,
    while the workflow runs), or as a short stub when that is None.
    """
    if not history:
        return empty("No blocks recorded.")
    colours = {
        "PENDING": "#9e9e9e",
        "RUNNING": "#1e88e5",
        "COMPLETED": "#43a047",
        "CANCELLED": "#fb8c00",
        "FAILED": "#e53935",
        "TIMEOUT": "#8e24aa",
    }
    t0 = min(h[0][0] for h in history.values())
    last = max(h[-1][0] for h in history.values())
    stub = max(last - t0, 1e-3) / 40  # room to show each block's last state
    t1 = max(last, open_until) if open_until is not None else last
    t1 = max(t1, last + stub)
    x0, row_h = 180.0, 16.0
    body = []
    for i, ((label, bid), changes) in enumerate(sorted(history.items())):
        y = 4 + i * row_h
        body.append(_text(4, y + 12, f"{label} block {bid}"[:30]))
        for j, (t, st, job) in enumerate(changes):
            final = st.upper() in ("COMPLETED", "CANCELLED", "FAILED", "TIMEOUT")
            if j + 1 < len(changes):
                end = changes[j + 1][0]
            elif final or open_until is None:
                end = t + stub
            else:
                end = max(open_until, t + stub)
            x = x0 + (W - RIGHT - x0) * (t - t0) / (t1 - t0)
            w = min((W - RIGHT - x0) * (end - t) / (t1 - t0), W - RIGHT - x)
            body.append(
                _rect(
                    x,
                    y,
                    w,
                    row_h - 3,
                    colours.get(st.upper(), "#757575"),
                    f"block {bid} job {job or '?'}: {st}",
                )
            )
    y = 4 + len(history) * row_h
    body += _x_axis(y, t0, t1, x0, W - RIGHT)
    return _svg(int(y + 22), body, "blocks over time") + legend(list(colours.items()))


def node_timeline(spans: Sequence[dict[str, object]]) -> str:
    """A row per node (worker pool): from when it registered to its last heartbeat."""
    if not spans:
        return empty("No nodes recorded.")
    t0 = min(float(n["start"]) for n in spans)  # type: ignore[arg-type]
    t1 = max([float(n["end"]) for n in spans] + [t0 + 1e-3])  # type: ignore[arg-type]
    x0, row_h = 180.0, 16.0
    body = []
    for i, n in enumerate(spans):
        y = 4 + i * row_h
        start, end = float(n["start"]), float(n["end"])  # type: ignore[arg-type]
        body.append(_text(4, y + 12, f"{n['hostname']} ({n['workers']} workers)"[:30]))
        x = x0 + (W - RIGHT - x0) * (start - t0) / (t1 - t0)
        w = (W - RIGHT - x0) * (end - start) / (t1 - t0)
        title = f"{n['hostname']} manager {n['uid']} block {n['block_id']}: {n['workers']} workers"
        body.append(_rect(x, y, w, row_h - 3, "#00897b", title))
    y = 4 + len(spans) * row_h
    body += _x_axis(y, t0, t1, x0, W - RIGHT)
    return _svg(int(y + 22), body, "nodes over time")
