"""Candidate-set jobs: ``sample`` (sets for prompts, as annotation tasks), ``compare-samplers`` (which sampler's sets
let a learner find out what people want) and ``humans-vs-models`` (people and models on one value map). The samplers,
the value placer and the set measures they use live a floor down, in ``pluralign.candidates``; the estimators
``compare-samplers`` fits, in ``pluralign.estimators``."""

from .compare import run_compare_samplers
from .config import SamplingConfig
from .job import run_sample
from .people import HumansVsModelsConfig, run_humans_vs_models

__all__ = ["HumansVsModelsConfig", "SamplingConfig", "run_compare_samplers", "run_humans_vs_models", "run_sample"]
