"""The values report: per situation its value map (what supports and what opposes the action, sized by relevance),
and across situations the most frequent values, rights and duties and the most contested situations."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..jobs import ItemView, Section, Tables, item_fields, rows_of
from ..report.figures import pyplot, to_svg
from ..report.html import check_context, write_page


def _frequent(candidates: pd.DataFrame, top: int = 20) -> pd.DataFrame:
    kept = candidates[candidates["kept"]].assign(name=lambda d: d["kind"] + ": " + d["text"].str.strip().str.capitalize())
    counts = kept.groupby("name").agg(situations=("situation_id", "nunique"), relevance=("relevance", "mean"))
    return counts.sort_values(["situations", "relevance"], ascending=False).head(top).reset_index()


def _frequent_figure(frequent: pd.DataFrame) -> str:
    fig, ax = pyplot().subplots(figsize=(6.5, 0.28 * len(frequent) + 0.8))
    ax.barh(frequent["name"][::-1], frequent["situations"][::-1], color="#5b7db1")
    ax.set_xlabel("situations where it was kept")
    return to_svg(fig)


def write_values_report(run_dir: Path, manifest: dict, tables: dict[str, pd.DataFrame], metrics: pd.DataFrame) -> Path:
    """Render ``report.html`` for a values run and return its path."""
    situations, candidates = tables["situations"], tables["candidates"]
    maps = []
    for s in situations.sort_values("situation_id").to_dict("records"):
        part = candidates[(candidates["situation_id"] == s["situation_id"]) & candidates["kept"]] if len(candidates) else candidates
        part = part.sort_values("relevance", ascending=False).to_dict("records")
        maps.append({**s, "supports": [c for c in part if c["valence"] == "supports"],
                     "opposes": [c for c in part if c["valence"] == "opposes"],
                     "either": [c for c in part if c["valence"] == "either"]})
    frequent = _frequent(candidates) if len(candidates) else pd.DataFrame()
    contested = situations.dropna(subset=["entropy"]).sort_values("entropy", ascending=False).head(15) if len(situations) else situations
    overall = metrics[metrics["grouping"] == "overall"] if len(metrics) else metrics
    by_language = metrics[(metrics["grouping"] == "language")] if len(metrics) else metrics
    return write_page(run_dir / "report.html", "values.html",
        manifest=manifest, maps=maps, frequent=frequent.to_dict("records"),
        frequent_svg=_frequent_figure(frequent) if len(frequent) else "", contested=contested.to_dict("records"),
        overall=overall.to_dict("records"), by_language=by_language.to_dict("records"),
        n_candidates=len(candidates), n_kept=int(candidates["kept"].sum()) if len(candidates) else 0,
        **check_context(metrics))


def _detail(tables: Tables, item: str) -> tuple[dict, list[Section]]:
    """A situation: its values, rights and duties, kept and dropped, with why."""
    head = item_fields(tables, "situations.parquet", "situation_id", item)
    rows = rows_of(tables, "candidates.parquet", "situation_id", item)
    rows = rows.drop(columns="language") if rows is not None else pd.DataFrame()
    return head, [Section("Values, rights and duties (kept and dropped, with why)", rows)]


ITEMS = ItemView("situations.parquet", "situation_id",
                 ("situation_id", "language", "topic", "situation", "n_kept", "entropy", "n_tensions"),
                 ("language", "topic"), _detail)
