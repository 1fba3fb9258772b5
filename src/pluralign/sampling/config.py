"""The settings of candidate-set jobs (``SamplingConfig``), recorded in the manifest; the samplers take only their
part of them (``sampler_settings``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError
from ..models.spec import parse_spec
from ..candidates.measures import MARGIN
from ..candidates.prompts import DIVERSE
from ..candidates.samplers import SAMPLERS, SamplerSettings


@dataclass
class SamplingConfig:
    """How candidate sets are made, judged and (for compare-samplers) learned from; recorded in the manifest.

    Args:
        prompts: the prompt source (``builtin`` or a FILE: ``data.prompts_from``), its columns renamed by ``columns``
            (ours -> theirs); limit: its first N prompts.
        model: the model that samples (and answers by default, for the humans-versus-models comparison).
        samplers: any of independent, negatively-correlated, multi-model.
        models: further specs for the multi-model sampler (with ``model``, one response from each).
        judge: spec of the value placer (default: ``model``; the field keeps the name that runs on
            disk record).
        k, temperature, max_tokens, retries: candidates per set, sampling temperature, tokens per response, and
            how often a diverse request that gave fewer than k responses is asked again.
        nc_prompt: the negatively-correlated sampler's instruction: ``values`` (asks for different values and names
            none, as the paper describes) or ``axes`` (names the judge's poles as examples, which builds part of the
            measured coverage into the request).
        annotators, sharpness: the simulated population (compare-samplers): its size, and how closely choices
            follow closeness in value space.
        test_share, unseen_share: prompts held out from training, and people held out from training.
        prototypes: the IdealPoint estimator's number of prototypes.
        margin: a response counts at a pole when its judged position is beyond ±margin; within it, at neither
            (default and its reason: ``measures.MARGIN``).
        template_from: for openai specs, the tokenizer whose chat template renders chat prompts for scoring.
    """

    prompts: str = "builtin"
    columns: dict[str, str] = field(default_factory=dict)
    limit: int | None = None
    model: str = "embedded"
    samplers: list[str] = field(default_factory=lambda: ["independent", "negatively-correlated"])
    models: list[str] = field(default_factory=list)
    judge: str | None = None
    k: int = 4
    temperature: float = 1.0
    max_tokens: int = 128
    retries: int = 2
    nc_prompt: str = "values"
    chat: bool = True
    template_from: str | None = None
    annotators: int = 100
    sharpness: float = 4.0
    test_share: float = 0.3
    unseen_share: float = 0.25
    prototypes: int = 4
    margin: float = MARGIN
    seed: int = 0

    def __post_init__(self) -> None:
        for spec in [self.model, *self.models, *([self.judge] if self.judge else [])]:
            parse_spec(spec)
        unknown = set(self.samplers) - set(SAMPLERS)
        if unknown or not self.samplers:
            raise InputError(f"unknown sampler(s) {', '.join(sorted(unknown)) or '(none given)'}; choose from {', '.join(SAMPLERS)}")
        if "multi-model" in self.samplers and not self.models:
            raise InputError("the multi-model sampler needs further models: add --models SPEC (one response from each)")
        if self.nc_prompt not in DIVERSE:
            raise InputError(f"unknown nc_prompt {self.nc_prompt!r}; choose from {', '.join(DIVERSE)}")
        if self.k < 2 or not 0 < self.test_share < 1 or not 0 <= self.unseen_share < 1 or not 0 <= self.margin < 1:
            raise InputError("k must be at least 2, test_share in (0, 1), unseen_share and margin in [0, 1)")

    def sampler_settings(self) -> SamplerSettings:
        """The settings the samplers take (``candidates.samplers.make_sampler``)."""
        return SamplerSettings(self.k, self.temperature, self.max_tokens, self.retries, self.chat, self.seed,
                               self.nc_prompt)
