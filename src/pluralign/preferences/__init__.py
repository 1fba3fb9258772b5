"""Learning from annotators who disagree: one reward, group rewards, latent types, and personal mixes."""

from ..data.choices import Choices
from ._fit import NotFittedError
from .aggregate import RULES, aggregate, group_probabilities, policy_scores
from .base import ChoiceEstimator
from .bradley_terry import BradleyTerry, GroupBradleyTerry
from .evaluate import Split, evaluate, expected_calibration_error, split_choices, unseen_learning_curve
from .latent import IdealPoint, MixtureBradleyTerry

__all__ = [
    "RULES", "aggregate", "group_probabilities", "policy_scores", "BradleyTerry", "ChoiceEstimator", "Choices", "GroupBradleyTerry", "IdealPoint", "MixtureBradleyTerry",
    "NotFittedError", "Split", "evaluate", "expected_calibration_error", "split_choices", "unseen_learning_curve",
]
