"""Steerable and distributional pluralism (Sorensen et al. 2024) from the audit's survey answers: pure tables.

Steerable: the model's answers when steered toward a human group (the ``steer`` stage) against that group's and the
other groups' answers. Distributional, beside ``opinion_alignment``: how spread the model's answers are against each
group's (entropy), and its alignment to the whole population the survey samples. Each function takes tables and
returns tidy rows, so that any job holding a model's survey answers (the audit; align, before and after) measures
the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics.checks import NEAR_UNIFORM
from .core import opinion_alignment

OVERALL = "overall"  # OpinionQA's whole-population group ("Overall", weighted by the respondents' survey weights)


def normalised_entropy(distribution) -> float:
    """Entropy of an answer distribution over its options divided by its largest value, log(number of options):
    0 when all mass is on one option, 1 when spread evenly."""
    p = np.asarray(distribution, float)
    if len(p) < 2:
        return 0.0
    p = p[p > 0]
    return float(-(p * np.log(p)).sum() / np.log(len(distribution)))


def top_option(distribution) -> float:
    """The index of the option an answer puts most on; NaN for an answer spread almost evenly (``NEAR_UNIFORM``),
    whose most probable option is chance."""
    return float(np.argmax(distribution)) if normalised_entropy(distribution) < NEAR_UNIFORM else np.nan


def entropy_gaps(opinions: pd.DataFrame) -> pd.DataFrame:
    """The opinions table (model x question x group) with ``model_entropy``, ``group_entropy`` and ``entropy_gap``
    (model minus group, normalised entropies): below 0, the model is more certain than the group is."""
    model = [normalised_entropy(m) for m in opinions["model_distribution"]]
    group = [normalised_entropy(h) for h in opinions["distribution"]]
    return opinions.assign(model_entropy=model, group_entropy=group,
                           entropy_gap=np.asarray(model, float) - np.asarray(group, float))


def population_distributions(survey: pd.DataFrame) -> pd.DataFrame:
    """Per question, the distribution of the whole population: its ``Overall`` group where the survey has one
    (OpinionQA weighs each respondent by the survey weight), else the groups' distributions mixed by their ``weight``
    (each group's share of the population) where every group of the question has one; questions with neither are
    left out. Columns: question_id, ordinal, positions, population, population_from."""
    rows = []
    for qid, part in survey.groupby("question_id", sort=False):
        first = part.iloc[0]
        overall = part[part["group"].str.lower() == OVERALL]
        weights = pd.to_numeric(part["weight"], errors="coerce") if "weight" in part else None
        if len(overall):
            population, source = np.asarray(overall["distribution"].iloc[0], float), "overall group"
        elif weights is not None and weights.notna().all() and weights.sum() > 0:
            shares = np.vstack([np.asarray(d, float) for d in part["distribution"]])
            population, source = weights.to_numpy() @ shares / weights.sum(), "weighted groups"
        else:
            continue
        rows.append({"question_id": qid, "ordinal": bool(first["ordinal"]), "positions": first.get("positions"),
                     "population": population.tolist(), "population_from": source})
    return pd.DataFrame(rows, columns=["question_id", "ordinal", "positions", "population", "population_from"])


def population_table(answers: pd.DataFrame, survey: pd.DataFrame) -> pd.DataFrame:
    """Per model and question: ``population_alignment`` (the model's answers against the whole population's, as
    ``opinion_alignment`` measures) and ``answer_entropy`` (normalised entropy of the model's answers).
    ``answers``: model, question_id, model_distribution. ``top_option``: see ``top_option``."""
    merged = answers[["model", "question_id", "model_distribution"]].merge(population_distributions(survey),
                                                                           on="question_id", how="left")
    merged["answer_entropy"] = [normalised_entropy(m) for m in merged["model_distribution"]]
    merged["top_option"] = [top_option(m) for m in merged["model_distribution"]]
    merged["population_alignment"] = [
        opinion_alignment(np.asarray(m), np.asarray(p), o, at) if isinstance(p, list) else np.nan
        for m, p, o, at in zip(merged["model_distribution"], merged["population"], merged["ordinal"], merged["positions"])]
    return merged[["model", "question_id", "answer_entropy", "top_option", "population_alignment", "population_from"]]


def steered_alignments(steered: pd.DataFrame, survey: pd.DataFrame) -> pd.DataFrame:
    """Every steered answer against every group's answers to its question: model, question_id, group (steered
    toward), format, target (the group compared with), alignment, top_option (the option the steered answer puts most
    on). ``steered``: the ``steer`` stage's records."""
    human = survey[["question_id", "group", "ordinal", "positions", "distribution"]].rename(columns={"group": "target"})
    merged = steered[["model", "question_id", "group", "format", "model_distribution"]].merge(human, on="question_id")
    merged["alignment"] = [opinion_alignment(np.asarray(m), np.asarray(h), bool(o), p) for m, h, o, p in zip(
        merged["model_distribution"], merged["distribution"], merged["ordinal"], merged["positions"])]
    merged["top_option"] = [top_option(m) for m in merged["model_distribution"]]
    return merged[["model", "question_id", "group", "format", "target", "alignment", "top_option"]]


def steering_table(pairs: pd.DataFrame, opinions: pd.DataFrame) -> pd.DataFrame:
    """One row per model, question, group and format (``pairs`` from ``steered_alignments``; ``opinions``: the
    unsteered alignments, model x question x group):

    - ``steered_alignment``: alignment with the group when steered toward it;
    - ``steer_gain``: that minus the unsteered model's alignment with the group on the same question (paired);
    - ``specificity``: that minus the mean alignment with the group when steered toward each other group (same
      question and format): above 0, steering toward the group brings the answers closer to it than steering toward
      another group does. A model that answers alike whatever the steer scores 0, even for the group it resembles.
    """
    own = pairs[pairs["group"] == pairs["target"]].rename(columns={"alignment": "steered_alignment"})
    others = (pairs[pairs["group"] != pairs["target"]].groupby(["model", "question_id", "format", "target"])["alignment"]
              .mean().rename("others").reset_index().rename(columns={"target": "group"}))
    default = opinions[["model", "question_id", "group", "alignment"]].rename(columns={"alignment": "default_alignment"})
    table = (own.drop(columns="target").merge(default, on=["model", "question_id", "group"], how="left")
             .merge(others, on=["model", "question_id", "format", "group"], how="left"))
    table["steer_gain"] = table["steered_alignment"] - table["default_alignment"]
    table["specificity"] = table["steered_alignment"] - table["others"]
    table["group_format"] = table["group"] + " · " + table["format"]
    return table.drop(columns="others")


def steering_confusion(pairs: pd.DataFrame) -> pd.DataFrame:
    """The steering confusion table: per model, format, group steered toward and target group, the mean alignment
    over questions, and n, the questions. A steerable model has its largest value of each target's column on the
    diagonal; a model that answers like one group whatever the steer has a row of equal rows."""
    return (pairs.groupby(["model", "format", "group", "target"], sort=True)["alignment"]
            .agg(alignment="mean", n="size").reset_index())
