"""What every page of the viewer shares: its Jinja environment (``report.html.environment`` over the viewer's own
templates and the reports'), the filters its tables use, and the runs directory the app serves."""

from __future__ import annotations

import numpy as np
from fastapi import Request
from fastapi.responses import HTMLResponse

from ..report.html import environment
from .catalog import RunsDirectory

env = environment("pluralign.viewer")


def _cell(value) -> str:
    """A table cell as text: numbers rounded, lists joined, missing values blank."""
    if isinstance(value, (float, np.floating)):
        return "" if not np.isfinite(value) else f"{value:.3f}"
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(_cell(v) for v in value)
    return "" if value is None else str(value)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


env.filters["cell"] = _cell
env.filters["size"] = _size
env.globals["table_rows"] = lambda frame: frame.to_dict("records")  # a DataFrame as template rows


def directory(request: Request) -> RunsDirectory:
    """The runs directory the app serves (a FastAPI dependency of every route that reads runs)."""
    return request.app.state.runs


def page(served: RunsDirectory, template: str, code: int = 200, **context) -> HTMLResponse:
    """``template`` rendered with ``context`` and the served directory, as a page."""
    return HTMLResponse(env.get_template(template).render(root=str(served.root), **context), status_code=code)
