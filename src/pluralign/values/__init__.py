"""Value maps: the values, rights and duties a situation touches, how relevant each is, and which way it leans."""

from .core import summarise
from .dedup import Thresholds, deduplicate, rouge_l
from .config import ValuesConfig, ValuesRunConfig
from .job import run_values
from .parse import parse_vrds
from .results import write_results
from .scorers import LMScorer, TrainedScorer, load_scorer
from .stages import map_situations

__all__ = ["LMScorer", "Thresholds", "TrainedScorer", "ValuesConfig", "ValuesRunConfig", "deduplicate", "load_scorer",
           "map_situations", "parse_vrds", "rouge_l", "run_values", "summarise", "write_results"]
