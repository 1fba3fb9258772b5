"""Preference estimators and what several capabilities use of them: the fits (one reward, group rewards, latent
types, ideal points), the features they learn over, their per-comparison evaluation, the choice of what to ask a
person next, the rewards a learn run fitted, and their refits on resampled people. Below the capabilities:
``learn`` fits and reports with them, ``collect`` assigns with them, ``sampling`` compares samplers
with them and ``align`` judges with their rewards."""

from .base import ChoiceEstimator
from .bradley_terry import BradleyTerry, GroupBradleyTerry
from .latent import MixtureBradleyTerry, SharedRewards
from .ideal_point import IdealPoint
from .reward import GroupRewards

__all__ = ["BradleyTerry", "ChoiceEstimator", "GroupBradleyTerry", "GroupRewards", "IdealPoint", "MixtureBradleyTerry",
           "SharedRewards"]
