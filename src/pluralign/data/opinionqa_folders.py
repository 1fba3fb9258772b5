"""OpinionQA's release folders: which one is a survey wave, what the others are, and which weight a wave reads.

The release's ``human_resp`` folder holds one folder per Pew American Trends Panel wave
(``American_Trends_Panel_W26`` ... ``_W92``: ``info.csv``, ``metadata.csv``, ``responses.csv``) and
``Pew_American_Trends_Panel_disagreement_500``, a selection of questions from those waves with no answers of its own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .schema import DatasetError
from .tables import read_table

WAVE_FILES = ("info.csv", "metadata.csv", "responses.csv")
WAVE_NAME = re.compile(r"_W(\d+)$")  # American_Trends_Panel_W26 -> 26, as OpinionQA's code reads the wave
WEIGHT_NAME = re.compile(r"WEIGHT_W\d+")  # a wave's weight; WEIGHT_W25W26 (W26's weight for two waves) is not one


def check_wave_folder(folder: Path) -> None:
    """Refuse, in one line, a folder that is not one survey wave, saying what it is and which folder to pass instead."""
    missing = [name for name in WAVE_FILES if not (folder / name).is_file()]
    if not missing:
        return
    waves = sorted((p.parent.name for p in folder.glob("*/info.csv") if WAVE_NAME.search(p.parent.name)),
                   key=_wave_number)
    if waves:
        raise DatasetError(folder, f"holds OpinionQA survey waves ({', '.join(waves)}), not one wave; "
                                   f"pass one of them, such as {folder / waves[0]}")
    sources = _source_waves(folder / "info.csv")
    if sources and "responses.csv" in missing:
        raise DatasetError(folder / "responses.csv",
                           f"no such file: {folder.name} is not a survey wave but a selection of questions from "
                           f"{len(sources)} waves (info.csv's survey column names each one's wave) with no answers "
                           f"of its own; pass a wave folder instead, such as {folder.parent / sources[0]}")
    raise DatasetError(folder / missing[0], "no such file: an OpinionQA survey wave is a folder such as "
                                            "human_resp/American_Trends_Panel_W26 with info.csv, metadata.csv and "
                                            "responses.csv")


def weight_column(folder: Path, responses: pd.DataFrame, path: Path) -> str:
    """The column that weights a wave's respondents: ``WEIGHT_W<wave>`` with the wave from the folder's name, as
    OpinionQA reads it (W26 also has WEIGHT_W25W26, which is not it). A folder renamed without ``_W<wave>`` reads the
    one ``WEIGHT_W<number>`` column of ``responses.csv``, and is refused when there is none or more than one."""
    found = WAVE_NAME.search(folder.name)
    if found:
        wanted = f"WEIGHT_W{int(found.group(1))}"
        if wanted not in responses.columns:
            others = [c for c in responses.columns if c.startswith("WEIGHT")]
            raise DatasetError(path, f"no survey weight for wave {int(found.group(1))} (the folder's name); "
                                     f"its weight columns: {', '.join(others) or 'none'}", column=wanted)
        return wanted
    weights = [c for c in responses.columns if WEIGHT_NAME.fullmatch(c)]
    if len(weights) != 1:
        raise DatasetError(path, f"cannot tell the wave: the folder's name does not end in _W<wave> as released "
                                 f"(American_Trends_Panel_W26) and {len(weights) or 'no'} columns are named "
                                 f"WEIGHT_W<number> ({', '.join(weights) or 'none'}); rename the folder",
                           column="WEIGHT_W*")
    return weights[0]


def _source_waves(info: Path) -> list[str]:
    """The wave folders a selection's ``info.csv`` draws from (its ``survey`` column: Pew_American_Trends_Panel_W26)."""
    if not info.is_file():
        return []
    table = read_table(info)
    if "survey" not in table.columns:
        return []
    return sorted({str(s).removeprefix("Pew_") for s in table["survey"] if str(s)}, key=_wave_number)


def _wave_number(name: str) -> int:
    found = WAVE_NAME.search(name)
    return int(found.group(1)) if found else 0
