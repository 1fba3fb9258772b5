"""ValuePrism (Value Kaleidoscope's data): its CSV configs read into one long table of labelled candidates.

The release has six configs, each a folder of ``*train.csv``, ``*val.csv`` and ``*test.csv`` (``full`` has one CSV):
``full``, ``mixture``, ``generative``, ``relevance``, ``valence`` and ``explanation``. Rows carry ``situation``,
``vrd`` (Value / Right / Duty) and ``text``, plus the config's label: ``valence`` (Supports / Opposes / Either),
a relevance label, or ``explanation``. In ``relevance`` and ``valence`` the label column may be called ``label``;
in ``mixture`` a ``task`` column says which label a row's ``label`` is. The gated files could not be opened while
this loader was written, so column names follow the dataset card and the paper; the loader accepts the usual
variants and names the columns it found when it cannot read a file.

Output columns: situation, kind, text, relevant (bool or None), valence (supports / opposes / either or None),
explanation (str or None), config, split.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .schema import DatasetError
from .tables import read_table

CONFIGS = ("full", "mixture", "generative", "relevance", "valence", "explanation")
_KINDS = {"value": "Value", "values": "Value", "right": "Right", "rights": "Right", "duty": "Duty", "duties": "Duty"}
_VALENCE = {"supports": "supports", "support": "supports", "opposes": "opposes", "oppose": "opposes",
            "either": "either"}
_TRUE, _FALSE = {"yes", "true", "1", "1.0", "relevant"}, {"no", "false", "0", "0.0", "irrelevant", "not relevant"}
COLUMN_ALIASES = {"situation": ("situation", "action"), "vrd": ("vrd", "type", "kind"), "text": ("text", "value")}


def _column(df: pd.DataFrame, name: str, path: Path) -> str:
    found = next((c for c in COLUMN_ALIASES[name] if c in df.columns), None)
    if found is None:
        has = ", ".join(c for c in df.columns if c != "_row")
        raise DatasetError(path, f"not a ValuePrism file: no '{name}' column (has: {has})", column=name)
    return found


def _label(value, mapping_or_sets, path: Path, row: int, column: str):
    text = str(value).strip().lower()
    if not text or text == "nan":
        return None
    if isinstance(mapping_or_sets, dict):
        if text not in mapping_or_sets:
            raise DatasetError(path, f"unknown label {value!r} (expected one of {', '.join(sorted(set(mapping_or_sets.values())))})",
                               row=row, column=column)
        return mapping_or_sets[text]
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise DatasetError(path, f"unknown relevance label {value!r} (expected Yes/No, 1/0 or True/False)", row=row, column=column)


def _config_of(path: Path, df: pd.DataFrame) -> str:
    for part in (path.parent.name, path.stem):
        for name in CONFIGS:
            if part == name or part.startswith(name + "_") or part.startswith(name + "-"):
                return name
    if "task" in df.columns:
        return "mixture"
    return "valence" if "valence" in df.columns else "full"


def _split_of(path: Path) -> str | None:
    return next((s for s in ("train", "val", "test") if path.stem.endswith(s)), None)


def read_valueprism_file(path: str | Path, config: str | None = None) -> pd.DataFrame:
    """One ValuePrism CSV (or any table in that shape) as the long table described above."""
    path = Path(path)
    df = read_table(path)
    config = config or _config_of(path, df)
    if config not in CONFIGS:
        raise DatasetError(path, f"unknown ValuePrism config {config!r} (one of {', '.join(CONFIGS)})")
    cols = {name: _column(df, name, path) for name in COLUMN_ALIASES}
    rows = []
    for record in df.to_dict("records"):
        row = record["_row"]
        situation, text = str(record[cols["situation"]]).strip(), str(record[cols["text"]]).strip()
        for name, value in (("situation", situation), ("text", text)):
            if not value or value == "nan":
                raise DatasetError(path, "empty value", row=row, column=cols[name])
        task = str(record.get("task", config)).strip().lower()
        label = record.get("label")
        relevant = record.get("relevant", record.get("relevance", label if task == "relevance" else None))
        valence = record.get("valence", label if task == "valence" else None)
        explanation = record.get("explanation", label if task == "explanation" else None)
        rows.append({
            "situation": situation,
            "kind": _label(record[cols["vrd"]], _KINDS, path, row, cols["vrd"]),
            "text": text,
            "relevant": None if relevant is None else _label(relevant, None, path, row, "relevant" if "relevant" in record else "label"),
            "valence": None if valence is None else _label(valence, _VALENCE, path, row, "valence" if "valence" in record else "label"),
            "explanation": None if explanation is None or not str(explanation).strip() else str(explanation).strip(),
            "config": config,
            "split": _split_of(path),
        })
    out = pd.DataFrame(rows, columns=["situation", "kind", "text", "relevant", "valence", "explanation", "config", "split"])
    if out["kind"].isna().any():
        i = int(out["kind"].isna().to_numpy().nonzero()[0][0])
        raise DatasetError(path, "empty kind (expected Value, Right or Duty)", row=i + 1, column=cols["vrd"])
    return out


def load_valueprism(path: str | Path, config: str | None = None, split: str | None = None) -> pd.DataFrame:
    """ValuePrism from a CSV file, a config folder, or the release's root folder (every config in it).

    Args:
        config: read only this config (default: every config found, or the one a file's folder or name says).
        split: read only this split (``train``, ``val`` or ``test``).
    """
    path = Path(path)
    if path.is_dir():
        folders = [path / config] if config else [path / c for c in CONFIGS if (path / c).is_dir()] or [path]
        files = sorted(f for folder in folders for f in folder.glob("*.csv") if split is None or _split_of(f) == split)
        if not files:
            raise DatasetError(path, f"no ValuePrism CSV files{f' for config {config}' if config else ''}"
                               f"{f' and split {split}' if split else ''}")
        return pd.concat([read_valueprism_file(f, config or (f.parent.name if f.parent.name in CONFIGS else None))
                          for f in files], ignore_index=True)
    return read_valueprism_file(path, config)
