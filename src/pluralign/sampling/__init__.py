"""Candidate-set jobs: ``sample`` (sets for prompts, as annotation tasks), ``compare-samplers`` (which sampler's sets
let a learner find out what people want) and ``humans-vs-models`` (people and models on one value map). The samplers,
the value placer and the set measures they use live a floor down, in ``pluralign.candidates``.

``compare-samplers`` fits the learn capability's estimators (``preferences``), so this package stands a floor above
``preferences``: a job that composes another capability's pieces, as ``align`` composes the audit and learn."""

from .compare import run_compare_samplers
from .config import SamplingConfig
from .job import run_sample
from .people import HumansVsModelsConfig, run_humans_vs_models

__all__ = ["HumansVsModelsConfig", "SamplingConfig", "run_compare_samplers", "run_humans_vs_models", "run_sample"]
