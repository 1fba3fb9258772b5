"""Survey questions with human answer distributions per group (OpinionQA / GlobalOpinionQA shapes)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .opinionqa_folders import WAVE_FILES, check_wave_folder, weight_column
from .schema import SURVEY_COLUMNS, DatasetError, validate
from .tables import read_table


def _numbers(values, n: int, what: str, path, row: int, column: str) -> np.ndarray:
    """One finite number per option (``what`` names them in the message); DatasetError naming the cell otherwise."""
    try:
        out = np.asarray([float(v) for v in values], dtype=float)
    except (TypeError, ValueError):
        raise DatasetError(path, f"{what} must be numbers, got {values!r}", row=row, column=column) from None
    if len(out) != n:
        raise DatasetError(path, f"{len(out)} {what} for {n} options", row=row, column=column)
    if not np.isfinite(out).all():
        raise DatasetError(path, f"{what} must be finite, got {values!r}", row=row, column=column)
    return out


def _check_answers(df: pd.DataFrame, path) -> pd.DataFrame:
    """Shares normalised to sum to one, positions as numbers (1..N where not given), and ``ordinal`` kept only
    where the positions differ: equal positions put no distance between options (OpinionQA's unordered questions)."""
    shares, positions = [], []
    for i, (options, dist, at) in enumerate(zip(df["options"], df["distribution"], df["positions"])):
        row = int(df["_row"].iloc[i]) if "_row" in df.columns else i + 1
        values = _numbers(dist, len(options), "shares", path, row, "distribution")
        if (values < 0).any() or values.sum() <= 0:
            raise DatasetError(path, "shares must be non-negative and not all zero", row=row, column="distribution")
        shares.append((values / values.sum()).tolist())
        positions.append(_numbers(at, len(options), "positions", path, row, "positions").tolist() if len(at)
                         else [float(k) for k in range(1, len(options) + 1)])
    df["distribution"], df["positions"] = shares, positions
    df["ordinal"] = [bool(o) and len(set(p)) > 1 for o, p in zip(df["ordinal"], positions)]
    return df


def load_survey(path: str | Path) -> pd.DataFrame:
    """Load a long survey table: one row per (question, group) with that group's answer distribution."""
    df = validate(read_table(path), SURVEY_COLUMNS, path, unique=None)
    return _check_answers(df, path)


def load_global_opinions(path: str | Path, ordinal: bool = False) -> pd.DataFrame:
    """Load GlobalOpinionQA's shape (``question, selections, options, source``) into the long survey table.

    ``selections`` holds a printed ``defaultdict`` of country -> shares; ``options`` a printed list.
    """
    raw = read_table(path)
    for needed in ("question", "selections", "options"):
        if needed not in raw.columns:
            raise DatasetError(path, "missing GlobalOpinionQA column", column=needed)
    rows = []
    for _, r in raw.iterrows():
        try:
            options = ast.literal_eval(str(r["options"]))
            body = re.search(r"\{.*\}", str(r["selections"]), re.S)
            selections = ast.literal_eval(body.group(0)) if body else None
        except (ValueError, SyntaxError):
            selections = None
        if not isinstance(selections, dict) or not isinstance(options, list):
            raise DatasetError(path, "cannot parse selections/options", row=int(r["_row"]), column="selections")
        for group, shares in selections.items():
            rows.append({"question_id": f"q{int(r['_row'])}", "question": r["question"], "options": options,
                         "ordinal": ordinal, "group": str(group), "distribution": list(shares),
                         "source": r.get("source") or "GlobalOpinionQA", "_row": int(r["_row"])})
    return _check_answers(validate(pd.DataFrame(rows), SURVEY_COLUMNS, path, unique=None), path)


def _literal_list(value, path, row: int, column: str) -> list:
    try:
        parsed = ast.literal_eval(str(value))
    except (ValueError, SyntaxError):
        parsed = None
    if not isinstance(parsed, (list, tuple)):
        raise DatasetError(path, f"expected a list such as ['Yes', 'No'], got {str(value)[:60]!r}", row=row, column=column)
    return list(parsed)


def _weights(responses: pd.DataFrame, column: str, path) -> pd.Series:
    """Each respondent's survey weight; DatasetError naming the first cell that is not a non-negative number."""
    weights = pd.to_numeric(responses[column], errors="coerce")
    bad = weights.isna() | ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        first = bad.idxmax()
        raise DatasetError(path, f"a survey weight must be a non-negative number, got {responses[column][first]!r}",
                           row=int(responses["_row"][first]), column=column)
    return weights


def load_opinionqa(folder: str | Path, attributes: list[str] | None = None) -> pd.DataFrame:
    """One OpinionQA survey wave (its ``info.csv``, ``metadata.csv`` and ``responses.csv``) -> the long survey table.

    ``info.csv`` gives each question's ``key``, ``question``, ``references`` (its options) and ``option_ordinal``,
    a printed list with the scale position of each substantive option (``[1.0, 2.0, 1.5]`` when the third option
    lies between the first two): the first that many references are the substantive options, the rest, such as
    "Refused" or "Not sure", are left out as OpinionQA does. The positions become the ``positions`` column; a question
    whose positions are all equal (``[1, 1, 1, 1, 1]``, OpinionQA's unordered questions) is not ``ordinal``. A key
    that names several wordings of one question (W43's IDIMPORT_W43, asked about each race) gives each wording its
    own ``question_id`` (``IDIMPORT_W43``, ``IDIMPORT_W43#2``, ...) with the key's answers, as OpinionQA compares them.
    ``metadata.csv`` lists each demographic ``key`` with its group ``options``.
    ``responses.csv`` has one row per respondent: an answer column per question key, the demographic columns and
    the survey weight ``WEIGHT_W<wave>`` (see ``weight_column``). Each group's distribution is the weighted share of
    its respondents choosing each option; groups are named ``Overall`` and ``ATTRIBUTE: group`` (``POLIDEOLOGY:
    Liberal``). A folder that is not a wave (the release's ``Pew_American_Trends_Panel_disagreement_500``) is refused
    with what it is and what to pass instead.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(folder, f"{'not a' if folder.exists() else 'no such'} folder: an OpinionQA survey wave is a "
                                   "folder of info.csv, metadata.csv and responses.csv")
    check_wave_folder(folder)
    info_path, meta_path, resp_path = (folder / n for n in WAVE_FILES)
    info, meta, responses = read_table(info_path), read_table(meta_path), read_table(resp_path)
    for path, table, needed in ((info_path, info, ("key", "question", "references", "option_ordinal")),
                                (meta_path, meta, ("key", "options"))):
        for column in needed:
            if column not in table.columns:
                raise DatasetError(path, "missing OpinionQA column", column=column)
    weight = _weights(responses, weight_column(folder, responses, resp_path), resp_path)
    groups = {r["key"]: [str(o) for o in _literal_list(r["options"], meta_path, r["_row"], "options")]
              for r in meta.to_dict("records")}
    wanted = list(groups) if attributes is None else attributes
    for attribute in wanted:
        if attribute not in groups or attribute not in responses.columns:
            raise DatasetError(resp_path, f"demographic {attribute!r} is not in metadata.csv and responses.csv",
                               column=attribute)
    members = {"Overall": pd.Series("Overall", index=responses.index),
               **{attribute: responses[attribute].astype(str) for attribute in wanted}}
    names = {"Overall": ["Overall"], **{attribute: groups[attribute] for attribute in wanted}}
    rows, wordings = [], {}
    for r in info.to_dict("records"):
        key, row = str(r["key"]), int(r["_row"])
        wordings[key] = wordings.get(key, 0) + 1
        question_id = key if wordings[key] == 1 else f"{key}#{wordings[key]}"
        if key not in responses.columns:
            raise DatasetError(resp_path, f"no answers to question {key!r} of info.csv row {row}", column=key)
        references = [str(x) for x in _literal_list(r["references"], info_path, row, "references")]
        ordinal = _literal_list(r["option_ordinal"], info_path, row, "option_ordinal")
        options = references[: len(ordinal)]
        positions = _numbers(ordinal, len(options), "positions", info_path, row, "option_ordinal").tolist()
        answers = responses[key].astype(str)
        answered = answers.isin(options)
        for attribute, column in members.items():
            table = (weight[answered].groupby([column[answered], answers[answered]]).sum()
                     .unstack(fill_value=0.0).reindex(index=names[attribute], columns=options, fill_value=0.0))
            for group, shares in table.iterrows():
                if shares.sum() > 0:
                    rows.append({"question_id": question_id, "question": r["question"], "options": options,
                                 "ordinal": True, "positions": positions,
                                 "group": group if attribute == "Overall" else f"{attribute}: {group}",
                                 "distribution": shares.tolist(), "language": "en", "source": folder.name, "_row": row})
    if not rows:
        raise DatasetError(resp_path, "no weighted answers to any question of info.csv")
    return _check_answers(validate(pd.DataFrame(rows), SURVEY_COLUMNS, info_path, unique=None), info_path)
