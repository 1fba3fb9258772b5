"""Candidate generation and value placement, below the capabilities: the samplers, the value placer, parsing of
numbered lists, the set measures and the candidate checks. The sample and compare-samplers jobs, the collection
worker and align use them; they take plain settings, never a manifest record."""

from .measures import (annotator_positions, coverage, distinct_n, humans_versus_models, mean_pairwise_distance,
                       oracle_correct, set_diversity, vendi_score)
from .parse import split_responses
from .placement import ValuePlacer, chosen_positions, placement_accuracy, pole_accuracy
from .samplers import IndependentSampler, MultiModelSampler, NegativelyCorrelatedSampler

__all__ = ["IndependentSampler", "MultiModelSampler", "NegativelyCorrelatedSampler", "ValuePlacer",
           "annotator_positions", "chosen_positions", "coverage", "distinct_n", "humans_versus_models",
           "mean_pairwise_distance", "oracle_correct", "placement_accuracy", "pole_accuracy", "set_diversity",
           "split_responses", "vendi_score"]
