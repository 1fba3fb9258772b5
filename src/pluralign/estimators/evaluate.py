"""How well a preference model serves people: held-out accuracy and log-loss overall, by group and for the worst
group (with intervals), calibration, and the learning curve on people never seen in training."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import pandas as pd

from ..data.choices import Choices
from ..metrics import MetricFrame, disaggregate
from .base import ChoiceEstimator, expected_correct
from .latent import SharedRewards

PEOPLE_AND_PROMPTS = ("annotator", "prompt")  # crossed clusters of held-out comparisons: many people answer a prompt


@dataclass
class Split:
    """Comparisons split for evaluation: ``train`` and three held-out sets, none of them trained on.

    Attributes:
        conversations: people seen in training, on conversations they were not trained on (whole conversations:
            every turn of each).
        prompts: every comparison, by anyone but the unseen people, on a held-out prompt (one prompt is shown to
            many people, so no one's answer to it is trained on); empty when the choices have no prompts.
        unseen: every comparison of the people kept out of training, in their original order.
    """

    train: Choices
    conversations: Choices
    prompts: Choices
    unseen: Choices


def in_last_conversations(choices: Choices, share: float) -> np.ndarray:
    """Whether each comparison is in its annotator's last ``share`` of conversations (whole conversations, in the
    order they first appear), rounded half up but never all of them: a person keeps their first conversation, and
    one with two of them or more lends at least one to the test. Without conversations, each comparison is its own
    (a ranking's later choices go with it). The held-out rows of the learning curve and of ``replay``."""
    conversation = choices.comparison if choices.conversation is None else choices.conversation
    pairs = pd.DataFrame({"annotator": choices.annotator, "conversation": conversation})
    code = pairs.groupby(["annotator", "conversation"], sort=False).ngroup().to_numpy()  # in order of first appearance
    first = pairs.drop_duplicates()
    rank = first.groupby("annotator", sort=False).cumcount().to_numpy()
    count = first.groupby("annotator", sort=False)["conversation"].transform("size").to_numpy()
    held = np.minimum(count - 1, np.floor(count * share + 0.5))
    return (rank >= count - held)[code]


def _draw(values: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """``share`` of the distinct ``values`` (rounded half up), drawn without replacement."""
    distinct = np.unique(values)
    return rng.choice(distinct, size=int(np.floor(share * len(distinct) + 0.5)), replace=False)


def split_choices(choices: Choices, test_share: float = 0.25, prompt_share: float = 0.2, unseen_share: float = 0.2,
                  random_state: int = 0) -> Split:
    """Hold out ``unseen_share`` of the people (all their comparisons), then ``prompt_share`` of the prompts (the
    other people's comparisons on them), then the last ``test_share`` of each remaining person's conversations.

    A conversation or a prompt goes wholly one way: holding out single comparisons would train on turn 1 of a
    conversation and test on its turn 2, or on other people's answers to the very prompt being tested.
    """
    rng = np.random.default_rng(random_state)
    unseen = np.isin(choices.annotator, _draw(choices.annotator, unseen_share, rng))
    prompts = np.zeros(len(choices), dtype=bool)
    if choices.prompt is not None:
        prompts = ~unseen & np.isin(choices.prompt, _draw(choices.prompt[~unseen], prompt_share, rng))
    rest = ~unseen & ~prompts
    conversations = np.zeros(len(choices), dtype=bool)
    conversations[rest] = in_last_conversations(choices.subset(rest), test_share)
    return Split(choices.subset(rest & ~conversations), choices.subset(conversations), choices.subset(prompts),
                 choices.subset(unseen))


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins by their size."""
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        inside = bins == b
        total += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(total)


def per_comparison(model: ChoiceEstimator, choices: Choices) -> pd.DataFrame:
    """One row per comparison: correct (1/t when the chosen one ties with t-1 others at the top, see
    ``expected_correct``), log-loss, confidence, annotator, prompt, group, language (None when unknown). Only the
    comparisons' own choices are scored: the later choices of a ranking are trained on, never counted as held-out
    comparisons."""
    choices = choices.first_choices()
    p = model.predict_proba(choices)
    return pd.DataFrame({
        "annotator": choices.annotator,
        "prompt": choices.prompt,
        "group": choices.group if choices.group is not None else "all",
        "language": choices.language,
        "correct": expected_correct(p, choices.chosen),
        "log_loss": -np.log(np.clip(p[np.arange(len(choices)), choices.chosen], 1e-12, None)),
        "confidence": p.max(1),
    })


def resampled_unit(choices: Choices) -> str:
    """What the intervals of ``evaluate`` resample for these choices, on every split: ``people`` (a person's choices
    move together; crossed with prompts where the comparisons have them); where every choice comes from one
    annotator (a file that names none is one, ``anonymous``), there are no people to resample, and then ``prompts``
    (a prompt's choices, and so a conversation's turns, move together), else ``conversations``, else
    ``comparisons``."""
    if len(np.unique(choices.annotator)) > 1:
        return "people"
    if choices.prompt is not None:
        return "prompts"
    return "conversations" if choices.conversation is not None else "comparisons"


def with_clusters(rows: pd.DataFrame, choices: Choices, resampled: str) -> tuple[pd.DataFrame, str | tuple[str, str]]:
    """``per_comparison``'s ``rows`` and their cluster column(s) for a ``resampled_unit`` word: people crossed with
    prompts where the comparisons have prompts (one prompt is answered by many: ``MetricFrame``'s pigeonhole
    bootstrap), else people alone; for another unit, the rows with a ``unit`` column holding it. Every accuracy
    interval of learn (``evaluate``, the learning curve, ``replay``) resamples through it, so all resample alike."""
    if resampled == "people":
        return rows, "annotator" if choices.prompt is None else PEOPLE_AND_PROMPTS
    first = choices.first_choices()
    unit = {"prompts": first.prompt, "conversations": first.conversation, "comparisons": first.comparison}[resampled]
    return rows.assign(unit=unit), "unit"


def evaluate(model: ChoiceEstimator, choices: Choices, n_boot: int = 1000, seed: int = 0,
             min_n: int = 20, resampled: str = "people") -> pd.DataFrame:
    """The long metrics table (metric, grouping, group, value, ci_low, ci_high, n) of accuracy and log-loss overall
    and by group (where the choices have groups) and language (where known: the embedded embedder is English-only),
    the worst group's accuracy, and calibration (ECE).

    Intervals resample ``resampled`` (see ``resampled_unit``): people by default (a person's comparisons move
    together) and, where the comparisons have prompts, prompts too, crossed with people, since held-out prompts stand
    for prompts not yet asked. The worst group is the least accurate of the groups with at least ``min_n`` people (no
    row when none is that large, or the choices have no groups), and its interval bounds the lowest true accuracy
    among them (``MetricFrame.worst``): the least of many noisy estimates is biased low, and a group of one would
    "win" at 0.
    """
    rows, cluster = with_clusters(per_comparison(model, choices), choices, resampled)
    options = {"n_boot": n_boot, "seed": seed, "cluster": cluster}
    groupings = ["language"] if choices.group is None else ["group", "language"]
    table = disaggregate(rows, {"accuracy": "correct", "log_loss": "log_loss"}, groupings, **options)
    extra = []
    if choices.group is not None:
        worst = MetricFrame(rows, "correct", by="group", **options).worst(min_n=min_n)
        extra = [{"metric": "worst_group_accuracy", "grouping": "group",
                  **worst[["group", "value", "ci_low", "ci_high", "n"]].to_dict()}] if worst["n_groups"] else []
    extra += [{"metric": "ece", "grouping": "overall", "group": "all", "n": len(rows),
              "value": expected_calibration_error(rows["confidence"].to_numpy(), rows["correct"].to_numpy())}]
    return pd.concat([table, pd.DataFrame(extra)], ignore_index=True)


def accuracy_gain(model: ChoiceEstimator, baseline: ChoiceEstimator, choices: Choices, n_boot: int = 1000,
                  seed: int = 0, resampled: str = "people") -> pd.DataFrame:
    """The metrics row (metric, grouping, group, value, ci_low, ci_high, n) of ``accuracy_gain``: ``model``'s held-out
    accuracy minus ``baseline``'s on the same choices, with an interval from the same resampling as ``evaluate``'s
    (people crossed with prompts, by default). The two accuracies' own intervals overlap even where one model is
    right on more of the very same choices; the paired difference shows what their difference is worth."""
    return _gains(model, baseline, choices, {"accuracy_gain": "correct"}, n_boot, seed, resampled)


def rankings_gain(ranked: ChoiceEstimator, first: ChoiceEstimator, choices: Choices, n_boot: int = 1000,
                  seed: int = 0, resampled: str = "people") -> pd.DataFrame:
    """The metrics rows of ``rankings_accuracy_gain`` and ``rankings_log_loss_gain``: what a model fitted on rankings
    (the rank-ordered logit) gains over the same estimator fitted on first choices alone, on the same held-out first
    choices, paired and resampled as ``accuracy_gain``. Lower ranks can be noisier than first choices (Hausman & Ruud,
    1987), so whether they help is measured, not assumed."""
    metrics = {"rankings_accuracy_gain": "correct", "rankings_log_loss_gain": "log_loss"}
    return _gains(ranked, first, choices, metrics, n_boot, seed, resampled)


def _gains(model: ChoiceEstimator, baseline: ChoiceEstimator, choices: Choices, metrics: dict[str, str], n_boot: int,
           seed: int, resampled: str) -> pd.DataFrame:
    """Overall rows of each metric (name -> a ``per_comparison`` column): per choice, ``model``'s value minus
    ``baseline``'s (log-loss the other way round, so that a gain is always better), averaged, with every replicate's
    weights applied to both models at once."""
    rows, base = per_comparison(model, choices), per_comparison(baseline, choices)
    sign = {"correct": 1, "log_loss": -1}
    gains = rows.assign(**{name: sign[c] * (rows[c] - base[c]) for name, c in metrics.items()})
    gains, cluster = with_clusters(gains, choices, resampled)
    return disaggregate(gains, {name: name for name in metrics}, [], n_boot=n_boot, seed=seed, cluster=cluster,
                        paired=True)


CURVE_COLUMNS = ["shots", "accuracy", "ci_low", "ci_high", "log_loss", "n", "comparisons"]


def unseen_learning_curve(model: SharedRewards, unseen: Choices, shots: Sequence[int] = (0, 5, 10, 20),
                          test_share: float = 0.25, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Accuracy on people never seen in training after adapting to their first ``s`` comparisons, for each s, with a
    95% interval that resamples those people crossed with the prompts (as ``evaluate``), and ``n``, the people.

    Every point is scored on the same comparisons: each unseen person's last ``test_share`` of conversations (whole,
    as ``split_choices`` holds them out), never adapted to; the s comparisons (with the later choices of their
    rankings) come from their other conversations.
    The 0-shot point adapts to nothing, which ``adapt`` and ``predict_proba`` agree on. The model must have ``adapt``.
    """
    return pd.DataFrame(list(learning_curve_points(model, unseen, shots, test_share, n_boot, seed)),
                        columns=CURVE_COLUMNS)


def learning_curve_points(model: SharedRewards, unseen: Choices, shots: Sequence[int], test_share: float = 0.25,
                          n_boot: int = 1000, seed: int = 0) -> Iterator[dict]:
    """The points of ``unseen_learning_curve`` (``CURVE_COLUMNS``: n counts people, ``comparisons`` their scored
    comparisons) one at a time, as each is computed, so a job can record each as it comes. The model's adaptation is
    reset before each point and after the last."""
    test_rows = in_last_conversations(unseen, test_share)
    if not test_rows.any():  # a person's only conversation is never held out
        warnings.warn("no unseen person has a second conversation to score a learning curve on; it is left out",
                      stacklevel=2)
        return
    test, pool = unseen.subset(test_rows), unseen.subset(~test_rows)
    # each person's comparisons in order, a ranking's later choices numbered as their comparison
    rank = pd.Series(pool.first).groupby(pool.annotator).cumsum().to_numpy() - 1
    try:
        for s in shots:
            model.reset_adaptation().adapt(pool.subset(rank < s))
            rows, cluster = with_clusters(per_comparison(model, test), test, "people")
            accuracy = MetricFrame(rows.assign(_all="all"), "correct", by="_all", cluster=cluster, n_boot=n_boot,
                                   seed=seed).overall
            yield {"shots": s, "accuracy": accuracy["value"], "ci_low": accuracy["ci_low"],
                   "ci_high": accuracy["ci_high"], "log_loss": rows["log_loss"].mean(),
                   "n": int(rows["annotator"].nunique()), "comparisons": len(rows)}
    finally:
        model.reset_adaptation()
