"""The scorecard of several runs as one self-contained HTML page (used by ``pluralign compare`` and the viewer)."""

from __future__ import annotations

from ..metrics.compare import Scorecard
from ..metrics.registry import REGISTRY
from .audit import _env


def render_scorecard(card: Scorecard, runs: list[str], title: str = "pluralign compare", links: dict[str, str] | None = None) -> str:
    """HTML of a scorecard: every metric with its interval per unit (best marked), the tensions between metrics
    (most opposed first), the Pareto front, and a weighted sum only when one was asked for by name."""
    metrics = list(card.matrix.values.columns)
    info = {m: REGISTRY.get(m) for m in metrics}
    agreement = card.agreement.sort_values(["tau", "discordant_share"], ascending=[True, False], na_position="last")
    return _env.get_template("compare.html").render(
        title=title, runs=runs, units=card.matrix.units, metrics=metrics, info=info, card=card, best=card.best(),
        agreement=agreement.to_dict("records"), links=links or {})
