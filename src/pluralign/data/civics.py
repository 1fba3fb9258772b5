"""CIVICS: value-laden statements from governments, news agencies, civil society and parties (see SEEDS.md).

Reads the release JSON as published (``ID, Language, Topic, Statement, Statement - translated, Data Producer
Organization, Source, Organization Type, Final Label, Link, Annotator 1 .. Annotator 5``), where one cell holds the
language and the country (``French (Canada)``; ``German`` alone for a language of one country), as well as the older
column set with a ``Country`` column and ``Consensus Annotation``, and the cleaned snake_case one, in CSV, JSON(L) or
Parquet. Each annotator's labels stay as ``annotator_1`` .. ``annotator_5`` (lists), for agreement figures.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pycountry

from .schema import STATEMENT_COLUMNS, DatasetError, validate
from .tables import read_table

RELEASE_COLUMNS = {  # the release's columns, in snake_case -> ours
    "statement": "text",
    "statement_translated": "text_en",
    "source": "publisher",  # the release's Source: the publication a statement is quoted from
    "organization_type": "source",  # government, political party, civil society group, news agency
    "data_producer_organization": "producer",
    "final_label": "labels",  # the release JSON
    "consensus_annotation": "labels",  # the older column set
}
# The languages CIVICS collected in one country only write no country in the release (its card: five languages,
# nine national contexts; English and French name theirs).
_ONE_COUNTRY = {"german": "DE", "italian": "IT", "turkish": "TR"}
_COUNTRY_NAMES = {"uk": "GB"}  # "English (UK)": pycountry knows the United Kingdom, not its abbreviation
_LANGUAGE_CELL = re.compile(r"^(?P<language>[^()]+?)\s*(?:\((?P<country>[^()]+)\))?$")
_ANNOTATOR = re.compile(r"^annotator_\d+$")


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def _labels(value) -> list[str]:
    """A cell of labels as a list: a list, a Python-literal list in text (CSV), or text separated by , ; or |."""
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return [str(v).strip() for v in list(value) if str(v).strip()]
    text = str(value or "").strip()
    if text.startswith("["):
        try:
            return [str(v).strip() for v in ast.literal_eval(text)]
        except (ValueError, SyntaxError):
            pass
    return [part.strip(" '\"") for part in re.split(r"[,;|]", text) if part.strip(" '\"")]


def _country_code(name: str) -> str | None:
    """ISO 3166-1 alpha-2 code of a country name as CIVICS writes it; None when unknown."""
    try:
        return _COUNTRY_NAMES.get(name.lower()) or pycountry.countries.lookup(name).alpha_2
    except LookupError:
        return None


def _language_and_country(value, path: str | Path, row: int) -> tuple[str, str | None]:
    """Split a release cell such as ``French (Canada)`` into the language and the country's ISO code; a language
    of one country (``German``) gets that country, any other bare language none."""
    match = _LANGUAGE_CELL.match(str(value).strip())
    if not match:
        raise DatasetError(path, f"expected a language, optionally with a country in brackets, got {value!r}",
                           row=row, column="Language")
    language, country = match["language"], match["country"]
    if country is None:
        return language, _ONE_COUNTRY.get(language.lower())
    code = _country_code(country.strip())
    if code is None:
        raise DatasetError(path, f"unknown country {country!r} in {value!r}", row=row, column="Language")
    return language, code


def load_civics(path: str | Path) -> pd.DataFrame:
    """Load a CIVICS file into a statement table (topics as snake_case, languages as ISO 639-1 codes, countries as
    ISO 3166-1 codes where the file names them in the language cell), keeping each annotator's labels."""
    raw = read_table(path)
    df = raw.rename(columns={c: _snake(c) for c in raw.columns if c != "_row"}).rename(columns=RELEASE_COLUMNS)
    for needed in ("id", "text", "language", "topic"):
        if needed not in df.columns:
            original = {v: k for k, v in RELEASE_COLUMNS.items()}.get(needed, needed)
            raise DatasetError(path, "missing CIVICS column (expected the release's, the original or the cleaned "
                               "column set)", column=original)
    df["id"] = df["id"].astype(str)
    df["topic"] = [_snake(str(t)) if str(t).strip() else "" for t in df["topic"]]
    split = [_language_and_country(v, path, r) for v, r in zip(df["language"], df["_row"])]
    df["language"] = [language for language, _ in split]
    if "country" not in df.columns:
        df["country"] = [country for _, country in split]
    for column in ["labels", *filter(_ANNOTATOR.match, df.columns)]:
        if column in df.columns:
            df[column] = [_labels(v) for v in df[column]]
    if "text_en" in df.columns:  # English statements leave the translation empty
        english = df["language"].astype(str).str.lower().isin(["en", "english"])
        empty = df["text_en"].isna() | (df["text_en"].astype(str).str.strip() == "")
        df.loc[english & empty, "text_en"] = df.loc[english & empty, "text"]
    return validate(df, STATEMENT_COLUMNS, path)
