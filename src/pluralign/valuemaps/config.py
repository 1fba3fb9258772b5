"""How value maps are made (``ValuesConfig``): the settings every caller that maps situations takes (the values jobs,
align's Overton stage, ``pluralign values-overton``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError
from ..models.spec import parse_spec
from .dedup import Thresholds


@dataclass
class ValuesConfig:
    """How value maps are made. Recorded in a run's manifest; changing it starts a new run.

    Args:
        model: spec of the model that generates candidates (and scores them with the ``lm`` scorer).
        scorer: ``lm`` or ``trained:PATH`` (see ``pluralign values-train``).
        samples: sampled lists per situation, besides one greedy list; more samples, more candidates.
        temperature: sampling temperature of those lists.
        max_tokens: length of each generated list.
        explain: also generate a one-sentence explanation of each kept candidate.
        chat: use the model's chat template (False for base models).
        thresholds: relevance, ROUGE-L and cosine thresholds per kind (see ``Thresholds``).
        embedder: sentence embedder for near-duplicate removal and trained scorers.
        calibrate: set the relevance threshold (every kind's) for this model and scorer on pluralign's labelled
            situations instead of ``thresholds.relevance`` (``evaluate.calibrate_relevance``); each map then records
            the threshold and the scorer's ROC area, which the ``relevance_near_chance`` check reads.
    """

    model: str = "embedded"
    scorer: str = "lm"
    samples: int = 8
    temperature: float = 0.9
    max_tokens: int = 96
    explain: bool = False
    chat: bool = True
    thresholds: Thresholds = field(default_factory=Thresholds)
    embedder: str = "embedded"
    seed: int = 0
    calibrate: bool = False

    def __post_init__(self) -> None:
        parse_spec(self.model)
        if isinstance(self.thresholds, dict):
            self.thresholds = Thresholds(**self.thresholds)
        if self.samples < 0 or self.max_tokens < 1 or self.temperature < 0:
            raise InputError("samples must be >= 0, max_tokens >= 1 and temperature >= 0")
