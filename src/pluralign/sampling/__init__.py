"""Candidate sets: independent versus negatively-correlated sampling, value coverage and diversity, and the
experiment that shows which sets let a learner find out what people want."""

from .job import SamplingConfig, run_compare_samplers, run_sample, write_compare_results
from ..candidates.placement import ValuePlacer, chosen_positions, placement_accuracy, pole_accuracy
from ..candidates.measures import (annotator_positions, coverage, distinct_n, humans_versus_models, mean_pairwise_distance,
                       oracle_correct, set_diversity, vendi_score)
from ..candidates.parse import split_responses
from ..candidates.samplers import IndependentSampler, MultiModelSampler, NegativelyCorrelatedSampler

__all__ = ["IndependentSampler", "MultiModelSampler", "NegativelyCorrelatedSampler", "SamplingConfig", "ValuePlacer",
           "annotator_positions", "chosen_positions", "coverage", "distinct_n", "humans_versus_models", "placement_accuracy",
           "mean_pairwise_distance", "oracle_correct", "pole_accuracy", "run_compare_samplers", "run_sample",
           "set_diversity", "split_responses", "vendi_score", "write_compare_results"]
