"""Value maps: the values, rights and duties a situation touches, how relevant each is, and which way it leans. The
jobs that map a table of situations, evaluate a scorer and train one; the maps themselves are made in ``valuemaps``."""

from ..valuemaps.config import ValuesConfig
from ..valuemaps.core import summarise
from ..valuemaps.dedup import Thresholds, deduplicate, rouge_l
from ..valuemaps.parse import parse_vrds
from ..valuemaps.scorers import LMScorer, TrainedScorer, load_scorer
from ..valuemaps.stages import map_situations
from .job import ValuesRunConfig, run_values
from .results import write_results

__all__ = ["LMScorer", "Thresholds", "TrainedScorer", "ValuesConfig", "ValuesRunConfig", "deduplicate", "load_scorer",
           "map_situations", "parse_vrds", "rouge_l", "run_values", "summarise", "write_results"]
