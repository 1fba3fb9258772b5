"""The estimators by the names a learn run's config gives them (``bt``, ``group``, ``mixture``, ``ideal``), made from
those settings alone, so that whoever fits again the way a run fitted (align's cross-fitted rewards) needs no job."""

from __future__ import annotations

from .base import ChoiceEstimator
from .bradley_terry import BradleyTerry, GroupBradleyTerry
from .latent import MixtureBradleyTerry
from .ideal_point import IdealPoint

ESTIMATORS = {"bt": "BradleyTerry", "group": "GroupBradleyTerry", "mixture": "MixtureBradleyTerry", "ideal": "IdealPoint"}


def make_estimator(name: str, k: int = 4, seed: int = 0) -> ChoiceEstimator:
    """The unfitted estimator ``name`` (a key of ``ESTIMATORS``), with ``k`` types or prototypes and ``seed`` for the
    latent ones."""
    return {"bt": lambda: BradleyTerry(), "group": lambda: GroupBradleyTerry(),
            "mixture": lambda: MixtureBradleyTerry(n_types=k, random_state=seed),
            "ideal": lambda: IdealPoint(n_prototypes=k, random_state=seed)}[name]()
