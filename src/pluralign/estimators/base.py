"""What every preference estimator shares: scikit-learn's shape, predictions, scores, save and load."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from ..data.choices import Choices
from ..errors import InputError

if TYPE_CHECKING:
    import torch

_NOT_FITTED = "this %(name)s is not fitted yet: call fit(choices) first"


def expected_correct(p: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Per comparison, 1/t when the chosen candidate is one of t tied at the highest probability, else 0: the
    expected accuracy of breaking ties at random. An argmax always picks the first of the tied, and so counts a model
    that cannot tell candidates apart as right whenever people chose the first (always, in TRL pairwise data)."""
    if not np.isfinite(p).all():
        raise ValueError("a model gave non-finite choice probabilities; accuracy would be undefined")
    tied = np.isclose(p, p.max(axis=1, keepdims=True), rtol=1e-6, atol=0)
    return tied[np.arange(len(p)), chosen] / tied.sum(axis=1)


def _storable(array: np.ndarray) -> np.ndarray:
    """Object arrays (annotator ids read from a table) as text: NPZ loads them without pickle, which runs code."""
    return array.astype(str) if array.dtype == object else array


class ChoiceEstimator(BaseEstimator, ABC):
    """Base of the preference estimators: a scikit-learn estimator (``clone``, ``get_params``, ``set_params``, its
    repr) with hyper-parameters in ``__init__`` and learned state in ``*_`` attributes; used before ``fit`` it
    raises scikit-learn's ``NotFittedError``."""

    _state: tuple[str, ...] = ()  # fitted attributes, saved and loaded

    def __sklearn_is_fitted__(self) -> bool:
        return all(hasattr(self, name) for name in self._state)

    def _check_fitted(self) -> None:
        check_is_fitted(self, msg=_NOT_FITTED)

    def _dtype(self) -> torch.dtype:
        import torch  # in each method that computes, not at the top (see _fit.py)

        return torch.float64 if getattr(self, "dtype", "float64") == "float64" else torch.float32

    def _copy(self, **state: np.ndarray) -> "ChoiceEstimator":
        """A fitted copy of this estimator (its parameters, none of its state) holding ``state``: one of the fits that
        ``fit_resamples`` makes at once."""
        copy = clone(self)
        for name, value in state.items():
            setattr(copy, name, value)
        return copy

    @abstractmethod
    def fit(self, choices: Choices) -> "ChoiceEstimator":
        """Learn from ``choices``; returns the estimator."""

    @abstractmethod
    def predict_proba(self, choices: Choices) -> np.ndarray:
        """(n, k) probability that each offered candidate is chosen; 0 for padding."""

    def score(self, choices: Choices) -> float:
        """Accuracy: the share of comparisons whose most probable candidate is the chosen one (ties shared)."""
        return float(expected_correct(self.predict_proba(choices), choices.chosen).mean())

    def log_loss(self, choices: Choices) -> float:
        """Mean negative log-probability of the chosen candidates."""
        p = self.predict_proba(choices)[np.arange(len(choices)), choices.chosen]
        return float(-np.log(np.clip(p, 1e-12, None)).mean())

    def save(self, path: str | Path) -> Path:
        """Write hyper-parameters (JSON) and learned arrays (NPZ), adaptation to new people included, to one
        ``.npz`` file."""
        self._check_fitted()
        path = Path(path)
        arrays = {name: _storable(np.asarray(getattr(self, name))) for name in self._state}
        np.savez(path, __params__=json.dumps({"class": type(self).__name__, **self.get_params()}), **arrays)
        return path if path.suffix == ".npz" else path.with_suffix(path.suffix + ".npz")

    @classmethod
    def load(cls, path: str | Path) -> "ChoiceEstimator":
        """The estimator ``save`` wrote to ``path``, fitted as it was: of this class, or (called on a base class such
        as ``ChoiceEstimator``) of whichever of its subclasses was saved."""
        with np.load(path, allow_pickle=False) as data:
            params = json.loads(str(data["__params__"]))
            name = params.pop("class")
            saved = next((c for c in _subclasses(cls) if c.__name__ == name), None)
            if saved is None:
                raise InputError(f"{path} holds a {name}, not a {cls.__name__}")
            missing = [key for key in saved._state if key not in data.files]
            if missing:
                raise InputError(f"{path} lacks {', '.join(missing)}: an older pluralign saved it; fit the model again")
            model = saved(**params)
            for key in saved._state:
                setattr(model, key, data[key])
        return model


def _subclasses(cls: type) -> list[type]:
    """``cls`` and every class below it."""
    return [cls, *(sub for direct in cls.__subclasses__() for sub in _subclasses(direct))]
