"""Best-of-k choices as arrays: the columnar form every preference estimator learns from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from .schema import DatasetError


@dataclass
class Choices:
    """Who chose which candidate among which, with the candidates' features.

    Args:
        features: (m, d) one row per candidate response (e.g. its embedding with its context).
        candidates: (n, k) rows of ``features`` offered in each comparison; -1 pads comparisons with fewer.
        chosen: (n,) position in ``candidates`` of the chosen one.
        annotator: (n,) annotator ids (any hashable values).
        group: (n,) optional group of the annotator (a demographic column), for group-aware estimators and metrics.
        conversation: (n,) optional conversation of each comparison (its turns share one), so a split can hold out
            whole conversations.
        prompt: (n,) optional prompt each comparison answers (e.g. a conversation's first user turn; many people may
            see one), so a split can hold out whole prompts.
        language: (n,) optional language of each comparison, so metrics can be read per language (the embedded
            embedder is English-only).
        stage: (n,) optional; 0 for a person's choice among every candidate offered, s > 0 for the s-th later choice
            their ranking of the same candidates states (see ``with_rankings``). Rows of one ranking follow each other.
        weight: (n,) optional; each comparison's weight in a fit (its log-likelihood term is multiplied by it), e.g.
            ``design_weights`` of an adaptive design's assignment probabilities. None weighs every comparison 1.
    """

    features: np.ndarray
    candidates: np.ndarray
    chosen: np.ndarray
    annotator: np.ndarray
    group: np.ndarray | None = None
    conversation: np.ndarray | None = None
    prompt: np.ndarray | None = None
    language: np.ndarray | None = None
    stage: np.ndarray | None = None
    weight: np.ndarray | None = None

    # per-comparison arrays that may be absent
    _optional = ("group", "conversation", "prompt", "language", "stage", "weight")

    def __post_init__(self) -> None:
        self.features = np.asarray(self.features)
        self.candidates = np.array(self.candidates, dtype=np.int64)  # own, writable copies (torch reads them)
        self.chosen = np.array(self.chosen, dtype=np.int64)
        self.annotator = np.asarray(self.annotator)
        for name in self._optional:
            if getattr(self, name) is not None:
                setattr(self, name, np.asarray(getattr(self, name)))
        n, k = self.candidates.shape
        offered = self.candidates >= 0
        if (offered.sum(axis=1) < 2).any():
            row = int(np.nonzero(offered.sum(axis=1) < 2)[0][0])
            raise DatasetError(None, "a comparison needs at least two candidates", row=row + 1, column="candidates")
        bad = (self.chosen < 0) | (self.chosen >= k)
        bad[~bad] = ~offered[np.nonzero(~bad)[0], self.chosen[~bad]]
        if bad.any():
            row = int(np.nonzero(bad)[0][0])
            raise DatasetError(None, f"chosen index {self.chosen[row]} is out of range for {offered[row].sum()} candidates",
                               row=row + 1, column="chosen")
        if n and self.candidates.max() >= len(self.features):
            raise DatasetError(None, "a candidate points past the feature table", column="candidates")
        for name in ("chosen", "annotator", *self._optional):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise DatasetError(None, f"{len(value)} values for {n} comparisons", column=name)
        if self.weight is not None:
            self.weight = self.weight.astype(np.float64)
            bad = ~np.isfinite(self.weight) | (self.weight < 0)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise DatasetError(None, f"weight {self.weight[row]} is not a finite number ≥ 0", row=row + 1,
                                   column="weight")

    def __len__(self) -> int:
        return len(self.chosen)

    @property
    def mask(self) -> np.ndarray:
        """(n, k) True where a candidate was offered."""
        return self.candidates >= 0

    def subset(self, rows) -> "Choices":
        """The comparisons selected by a boolean mask or index array (features are shared, not copied)."""
        optional = {name: None if getattr(self, name) is None else getattr(self, name)[rows] for name in self._optional}
        return Choices(self.features, self.candidates[rows], self.chosen[rows], self.annotator[rows], **optional)

    @property
    def first(self) -> np.ndarray:
        """(n,) True for each comparison's choice among everything offered, False for a ranking's later choices."""
        return np.ones(len(self), dtype=bool) if self.stage is None else self.stage == 0

    @property
    def comparison(self) -> np.ndarray:
        """(n,) the comparison each row states a choice of: its number among the first choices (a ranking's later
        choices share their comparison's), so that what is split or counted by comparison keeps a ranking whole."""
        return np.cumsum(self.first) - 1

    def first_choices(self) -> "Choices":
        """The comparisons' own choices, without the later choices of rankings: what held-out metrics score."""
        return self if self.stage is None else self.subset(self.first)


# Why each comparison was assigned and with what probability, as `pluralign collect` exports them (an adaptive
# design's record, for ``design_weights``): optional columns of a comparisons table.
DESIGN_COLUMNS = ("assigned", "probability")
# Why a comparison was assigned, as `pluralign collect` records it: the active rule's own choice and its ε share of
# uniformly drawn tasks are two outcomes of one draw, so their weights are normalised together.
RULE_REASONS = ("active", "random")


def outside_unit(numbers: np.ndarray | pd.Series) -> np.ndarray | pd.Series:
    """Which of ``numbers`` (an array or Series; NaN for unknown, which passes) lie outside (0, 1], where an
    assignment's probability must be."""
    return (numbers <= 0) | (numbers > 1)


def design_weights(probability: Sequence, assigned: Sequence | None = None, reference: Sequence | None = None
                   ) -> np.ndarray:
    """(n,) inverse-probability weights of comparisons an adaptive design assigned (docs/methods.md#design-weights):
    ``reference / probability``, the probability a reference design would have given each comparison over the one
    the design did (``reference`` 1 by default: a uniform reference over about as many tasks each time), divided by
    their mean within each stratum of ``assigned`` (why it was assigned: the active rule's ``RULE_REASONS`` are one
    stratum, every other reason its own), so each stratum keeps its number of comparisons' worth of weight. A
    comparison without a probability (a study from before they were kept) weighs 1. Raises ValueError for a
    probability outside (0, 1]."""
    probability = pd.to_numeric(pd.Series(list(probability), dtype=object), errors="coerce").to_numpy(np.float64)
    known = ~np.isnan(probability)
    bad = outside_unit(probability)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"row {row + 1}: probability {probability[row]} is not in (0, 1]")
    ratio = np.ones(len(probability)) if reference is None else np.asarray(reference, dtype=np.float64)
    raw = np.where(known, ratio / np.where(known, probability, 1), 1.0)
    reasons = np.array([r if isinstance(r, str) else "" for r in ([None] * len(raw) if assigned is None else assigned)],
                       dtype=object)
    stratum = np.where(np.isin(reasons, RULE_REASONS), "rule", reasons) + np.where(known, "", "|unknown")
    out = np.ones(len(raw))
    for value in np.unique(stratum):
        rows = (stratum == value) & known
        if rows.any():
            out[rows] = raw[rows] / raw[rows].mean()
    return out


def checked_probabilities(values: pd.Series, rows: pd.Series, path) -> pd.Series:
    """A table's ``probability`` column as numbers in (0, 1], empty cells as NaN; DatasetError naming the file
    ``path``, the row (``rows``: each value's row in the file) and the column otherwise."""
    numbers = pd.to_numeric(values.replace("", np.nan), errors="coerce")
    bad = (values.notna() & (values != "") & numbers.isna()) | outside_unit(numbers)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DatasetError(path, f"probability {values.iloc[i]} is not a number in (0, 1]", row=int(rows.iloc[i]),
                           column="probability")
    return numbers


def ranking_places(ranking: Sequence) -> list[list[int]]:
    """A ranking's places, best first, each a list of the candidate positions tied there: a flat ranking [2, 0, 3]
    has one candidate per place; [[2, 0], [3]] ties 2 and 0 (PRISM's equal scores)."""
    return [[int(r) for r in place] if isinstance(place, (list, tuple, np.ndarray)) else [int(place)]
            for place in ranking]


def ranking_problem(ranking: Sequence, offered: Sequence[int], chosen: int) -> str | None:
    """What is wrong with a ranking (candidate positions best first, tied ones as a list at one place) of a
    comparison whose ``offered`` positions and ``chosen`` one are given, or None: it must name offered candidates,
    each at most once, the chosen one in the first place."""
    places = ranking_places(ranking)
    named = [r for place in places for r in place]
    if len(set(named)) < len(named) or not set(named) <= set(offered) or not all(places) or chosen not in places[0]:
        return (f"ranking {list(ranking)} must list offered candidates {list(offered)} at most once each, the chosen "
                f"one ({chosen}) first")
    return None


def with_rankings(choices: Choices, rankings: Sequence) -> Choices:
    """``choices`` with the later choices each ranking states, each right after its comparison: a ranking a > b > c of
    offered candidates states a chosen among all of them (the comparison itself), then b among all but a, then c among
    all but a and b, while two candidates are left (the rank-ordered logit: a Plackett-Luce ranking is the product of
    these choices). Candidates tied at one place are each chosen among everything not ranked above that place, the
    others tied there included (Breslow's likelihood for ties), so a tie states no order among them; the chosen one
    may share the first place. ``rankings`` holds, per comparison, candidate positions best first (a top-t ranking is
    fine; ties as in ``ranking_places``), or None. Raises DatasetError (row, column ``ranking``) for a ranking that
    repeats a position, names one not offered, or does not have the chosen one in its first place."""
    rows = []  # (comparison, stage, chosen position, candidates left)
    for i, ranking in enumerate(rankings):
        rows.append((i, 0, choices.chosen[i], choices.candidates[i]))
        if not isinstance(ranking, (list, tuple, np.ndarray)) or not len(ranking):  # None, or pandas' NaN
            continue
        offered = np.flatnonzero(choices.mask[i])
        problem = ranking_problem(ranking, offered.tolist(), int(choices.chosen[i]))
        if problem:
            raise DatasetError(None, problem, row=i + 1, column="ranking")
        left, stage = choices.candidates[i].copy(), 0
        for n, place in enumerate(ranking_places(ranking)):
            if (left >= 0).sum() < 2:
                break
            for position in place:
                if n or position != choices.chosen[i]:  # the chosen one's choice is the comparison itself
                    stage += 1
                    rows.append((i, stage, position, left.copy()))
            left[place] = -1
    parent = np.array([r[0] for r in rows], dtype=np.int64)
    optional = {name: None if getattr(choices, name) is None else getattr(choices, name)[parent]
                for name in choices._optional}
    candidates = np.array([r[3] for r in rows], dtype=np.int64).reshape(len(rows), choices.candidates.shape[1])
    return Choices(choices.features, candidates, [r[2] for r in rows], choices.annotator[parent],
                   **{**optional, "stage": np.array([r[1] for r in rows], dtype=np.int64)})
