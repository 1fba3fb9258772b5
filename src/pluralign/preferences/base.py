"""What every preference estimator shares: scikit-learn's shape, predictions, scores, save and load."""

from __future__ import annotations

import inspect
import json
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
import torch

from ..data.choices import Choices
from ._fit import NotFittedError


def expected_correct(p: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Per comparison, 1/t when the chosen candidate is one of t tied at the highest probability, else 0: the
    expected accuracy of breaking ties at random. An argmax always picks the first of the tied, and so counts a model
    that cannot tell candidates apart as right whenever people chose the first (always, in TRL pairwise data)."""
    if not np.isfinite(p).all():
        raise ValueError("a model gave non-finite choice probabilities; accuracy would be undefined")
    tied = np.isclose(p, p.max(axis=1, keepdims=True), rtol=1e-6, atol=0)
    return tied[np.arange(len(p)), chosen] / tied.sum(axis=1)


class ChoiceEstimator(ABC):
    """Base of the preference estimators: hyper-parameters in ``__init__``, learned state in ``*_`` attributes."""

    _state: tuple[str, ...] = ()  # fitted attributes, saved and loaded

    def get_params(self) -> dict:
        return {name: getattr(self, name) for name in inspect.signature(type(self).__init__).parameters if name != "self"}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"

    def _check_fitted(self) -> None:
        if not all(hasattr(self, name) for name in self._state):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit(choices) first")

    def _dtype(self) -> torch.dtype:
        return torch.float64 if getattr(self, "dtype", "float64") == "float64" else torch.float32

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
        """Write hyper-parameters (JSON) and learned arrays (NPZ) to one ``.npz`` file."""
        self._check_fitted()
        path = Path(path)
        arrays = {name: np.asarray(getattr(self, name)) for name in self._state}
        np.savez(path, __params__=json.dumps({"class": type(self).__name__, **self.get_params()}), **arrays)
        return path if path.suffix == ".npz" else path.with_suffix(path.suffix + ".npz")

    @classmethod
    def load(cls, path: str | Path) -> "ChoiceEstimator":
        with np.load(path, allow_pickle=False) as data:
            params = json.loads(str(data["__params__"]))
            name = params.pop("class")
            if name != cls.__name__:
                raise ValueError(f"{path} holds a {name}, not a {cls.__name__}")
            model = cls(**params)
            for key in cls._state:
                setattr(model, key, data[key])
        return model
