"""Best-of-k choices as arrays: the columnar form every preference estimator learns from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    """

    features: np.ndarray
    candidates: np.ndarray
    chosen: np.ndarray
    annotator: np.ndarray
    group: np.ndarray | None = None
    conversation: np.ndarray | None = None
    prompt: np.ndarray | None = None
    language: np.ndarray | None = None

    _optional = ("group", "conversation", "prompt", "language")  # per-comparison arrays that may be absent

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
