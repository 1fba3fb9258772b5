"""Learning from annotators who disagree: one reward, group rewards, latent types, and personal mixes."""

from sklearn.exceptions import NotFittedError  # what an unfitted estimator raises (sklearn's own)

from ..data.choices import Choices
from .aggregate import RULES, aggregate, group_probabilities, policy_scores
from ..estimators.base import ChoiceEstimator
from ..estimators.bradley_terry import BradleyTerry, GroupBradleyTerry
from ..estimators.evaluate import (Split, evaluate, expected_calibration_error, learning_curve_points, split_choices,
                       unseen_learning_curve)
from ..estimators.latent import MixtureBradleyTerry, SharedRewards
from ..estimators.ideal_point import IdealPoint

__all__ = [
    "RULES", "aggregate", "group_probabilities", "policy_scores", "BradleyTerry", "ChoiceEstimator", "Choices", "GroupBradleyTerry", "IdealPoint", "MixtureBradleyTerry",
    "NotFittedError", "SharedRewards", "Split", "evaluate", "expected_calibration_error", "learning_curve_points", "split_choices",
    "unseen_learning_curve",
]
