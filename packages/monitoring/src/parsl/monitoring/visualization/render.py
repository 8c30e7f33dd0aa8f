"""Page assembly: the Jinja environment, its filters, links, and the Page/Section model.

A page is a title plus sections of HTML. The web server renders a page
whole, or (for a live page's poll) only its live sections as JSON; the
report renders several pages' sections into one file. Links differ: the
server links to its own URLs, the report to anchors inside the file (or
nowhere, for things the file does not hold).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from parsl.monitoring.visualization.errors import VisualizationError
from parsl.monitoring.visualization.states import state_colour
from parsl.monitoring.visualization.svg import fmt_bytes, fmt_seconds

try:
    import jinja2
    from markupsafe import Markup
except ImportError:  # pragma: no cover - exercised only without the extra installed
    jinja2 = None  # type: ignore[assignment]


@dataclass
class Section:
    key: str
    heading: str | None
    html: str
    live: bool = False


@dataclass
class Page:
    title: str
    sections: list[Section]
    nav: list[tuple[str, str]] = field(default_factory=list)
    live: bool = False
    """Whether the page polls for its live sections (the workflow is still running)."""


SITE_NAV: list[tuple[str, str]] = [("Workflows", "/"), ("Files", "/files")]
"""The header's links on every page of the web server."""


class Links:
    """URLs of the web server's pages."""

    def workflows(self, page: int = 0) -> str | None:
        return "/" + (f"?page={page}" if page else "")

    def workflow(self, run_id: str) -> str | None:
        return f"/workflow/{quote(run_id, safe='')}"

    def _sub(self, run_id: str, sub: str, params: dict[str, Any]) -> str:
        q = urlencode({k: v for k, v in params.items() if v not in (None, "", 0)})
        return f"/workflow/{quote(run_id, safe='')}/{sub}" + (f"?{q}" if q else "")

    def tasks(self, run_id: str, **params: Any) -> str | None:
        return self._sub(run_id, "tasks", params)

    def task(self, run_id: str, task_id: int) -> str | None:
        return self._sub(run_id, f"task/{int(task_id)}", {})

    def dag(self, run_id: str, **params: Any) -> str | None:
        return self._sub(run_id, "dag", params)

    def resources(self, run_id: str, **params: Any) -> str | None:
        return self._sub(run_id, "resources", params)

    def run_files(self, run_id: str, **params: Any) -> str | None:
        return self._sub(run_id, "files", params)

    def files(self, **params: Any) -> str | None:
        q = urlencode({k: v for k, v in params.items() if v not in (None, "", 0)})
        return "/files" + (f"?{q}" if q else "")

    def file(self, file_id: str, page: int = 0) -> str | None:
        return f"/file/{quote(file_id, safe='')}" + (f"?page={page}" if page else "")

    def environment(self, environment_id: str) -> str | None:
        return f"/environment/{quote(environment_id, safe='')}"


class ReportLinks(Links):
    """Anchors inside the one-file report; None where the report does not hold the target."""

    def __init__(self, tasks_in_report: set[int]) -> None:
        self.included = tasks_in_report

    def workflows(self, page: int = 0) -> str | None:
        return None

    def workflow(self, run_id: str) -> str | None:
        return "#summary"

    def tasks(self, run_id: str, **params: Any) -> str | None:
        return "#tasks" if not params else None

    def task(self, run_id: str, task_id: int) -> str | None:
        return f"#task-{int(task_id)}-facts" if int(task_id) in self.included else None

    def dag(self, run_id: str, **params: Any) -> str | None:
        return "#dag" if not params else None

    def resources(self, run_id: str, **params: Any) -> str | None:
        return "#distributions" if not params else None

    def run_files(self, run_id: str, **params: Any) -> str | None:
        return "#files" if not params else None

    def files(self, **params: Any) -> str | None:
        return None

    def file(self, file_id: str, page: int = 0) -> str | None:
        return None

    def environment(self, environment_id: str) -> str | None:
        return None


def _dt(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M:%S") + f".{value.microsecond // 1000:03d}"


def _dur(value: float | None) -> str:
    return "" if value is None else fmt_seconds(float(value))


def _bytes(value: float | None) -> str:
    return "" if value is None else fmt_bytes(float(value))


def _pct(value: float | None) -> str:
    return "" if value is None else f"{float(value):.1f}"


class Renderer:
    """Jinja templates (autoescaped) and the section macros, with the filters pages use."""

    def __init__(self) -> None:
        if jinja2 is None:  # pragma: no cover
            raise VisualizationError(
                "parsl-visualize needs its web extra: pip install 'parsl-monitoring[visualization]'"
            )
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("parsl.monitoring.visualization", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters.update(dt=_dt, dur=_dur, bytes=_bytes, pct=_pct, colour=state_colour)
        self.macros: list[Any] = [
            self.env.get_template(name).module for name in ("sections.html", "files.html")
        ]

    def macro(self, name: str, *args: Any) -> str:
        """Render one macro of sections.html (or files.html) to HTML."""
        for module in self.macros:
            found = getattr(module, name, None)
            if found is not None:
                return str(found(*args))
        raise VisualizationError(f"no template macro {name!r}")

    @staticmethod
    def safe(html: str) -> Any:
        """Mark renderer output (already escaped SVG/HTML) as safe for templates."""
        return Markup(html)

    def page(self, page: Page, db_url: str, poll_url: str | None, poll_ms: int = 2000) -> str:
        return self.env.get_template("page.html").render(
            title=page.title,
            sections=[Section(s.key, s.heading, Markup(s.html), s.live) for s in page.sections],
            nav=page.nav,
            db_url=db_url,
            poll_url=poll_url if page.live else None,
            poll_ms=poll_ms,
            updated=dt.datetime.now().strftime("%H:%M:%S"),
        )

    def error(self, title: str, message: str, db_url: str) -> str:
        return self.env.get_template("error.html").render(
            title=title, message=message, nav=SITE_NAV, db_url=db_url, poll_url=None
        )
