"""The scorecard of several runs as one self-contained HTML page (used by ``pluralign compare`` and the viewer)."""

from __future__ import annotations

from ..metrics.compare import Scorecard
from ..metrics.registry import REGISTRY
from ..metrics.tensions import TAU_INTERVAL_NOTE, discordant_pairs
from .html import env


def render_scorecard(card: Scorecard, runs: list[str], title: str = "pluralign compare", links: dict[str, str] | None = None) -> str:
    """HTML of a scorecard: every metric with its interval per unit (best marked), the tensions between metrics
    (most opposed first), the Pareto front, and a weighted sum only when one was asked for by name."""
    metrics = list(card.matrix.values.columns)
    info = {m: REGISTRY.get(m) for m in metrics}
    agreement = card.agreement.sort_values(["tau", "discordant_share"], ascending=[True, False], na_position="last")
    rows = agreement.to_dict("records")
    for row in rows[:50]:  # an example of each disagreement: which unit each metric prefers
        pairs = discordant_pairs(card.matrix.informative(), row["metric_a"], row["metric_b"]) if row["discordant"] else None
        row["example"] = (f"{pairs.iloc[0, 2]} by {row['metric_a']}, {pairs.iloc[0, 3]} by {row['metric_b']}"
                          if pairs is not None and len(pairs) else "")
    return env.get_template("compare.html").render(
        title=title, runs=runs, units=card.matrix.units, metrics=metrics, info=info, card=card, best=card.best(),
        agreement=rows, links=links or {}, tau_note=TAU_INTERVAL_NOTE, checked=len(card.checks),
        fired=card.fired.to_dict("records"))
