"""A reward learned on other people, with what fitted it (``CrossFit``), and the bootstrap its refits draw
(``crossed_resample``): what an independent judge of a model tuned on a learn run's reward needs, since the reward that
picked the training pairs rewards its own noise when it also scores the result. A verdict fits the reward again on
resamples of its people and prompts and so carries the noise of a reward estimated from few people. Which rewards
are fitted this way is the caller's to say (align's ``--eval-reward``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..data.choices import Choices
from .bradley_terry import BradleyTerry, GroupBradleyTerry
from .reward import GroupRewards, reward_heads


@dataclass
class CrossFit:
    """A reward learned on other people, with what fitted it: ``rewards`` (``GroupRewards``), the ``choices`` and a
    factory of the unfitted ``estimator`` (one whose rewards a second fit names alike: ``BradleyTerry`` or
    ``GroupBradleyTerry``), and how many ``people`` made those choices."""

    rewards: GroupRewards
    choices: Choices
    estimator: Callable[[], BradleyTerry | GroupBradleyTerry]
    people: int

    def refits(self, replicates: int, seed: int) -> np.ndarray:
        """(replicates, G, d): the coefficients of each reward in ``rewards.names`` fitted again on ``replicates``
        resamples of the people and prompts (``crossed_resample``, drawn by a stream of ``seed``'s own, so a caller
        that draws prompts by the same seed draws them independently of these), the same estimator each time.
        Most of an independent evaluation's cost, so all replicates are fitted at once (``fit_resamples``): 200 refits
        of a group reward on the 80 choices of the tests' 5 held-out people took 1.26 s of CPU time here, 7.78 s one by
        one (benchmarks/RESULTS.md), once per training seed (each draws its own)."""
        rng = np.random.default_rng([seed, 1])
        times = np.stack([np.bincount(crossed_resample(self.choices, rng), minlength=len(self.choices))
                          for _ in range(replicates)])
        out = np.empty((replicates, *self.rewards.coef.shape))
        for b, model in enumerate(self.estimator().fit_resamples(self.choices, times)):
            names, coef, _ = reward_heads(model)
            out[b] = coef[[names.index(n) for n in self.rewards.names]]
        return out


def _draws(units: np.ndarray, rng: np.random.Generator, strata: np.ndarray | None = None) -> dict:
    """How many times a bootstrap draws each distinct unit (with replacement, as many draws as units; within each
    stratum separately where ``strata`` gives one per unit)."""
    distinct, first = np.unique(units, return_index=True)
    layers = np.zeros(len(distinct), dtype=int) if strata is None else np.unique(strata[first], return_inverse=True)[1]
    counts = np.zeros(len(distinct), dtype=int)
    for layer in np.unique(layers):
        members = np.flatnonzero(layers == layer)
        counts[members] = rng.multinomial(len(members), np.full(len(members), 1 / len(members)))
    return dict(zip(distinct.tolist(), counts.tolist()))


def crossed_resample(choices: Choices, rng: np.random.Generator) -> np.ndarray:
    """The rows of one bootstrap replicate of ``choices`` (indices, repeated): people drawn with replacement (within
    each group, where the choices have groups, so that every group's reward can be fitted again) crossed with prompts
    drawn with replacement, where the choices have prompts (many people answer one prompt: a prompt's choices share
    whatever the features miss about it), each row taken (its person's draws × its prompt's draws) times: the
    pigeonhole bootstrap of a people × prompts array (Owen, 2007), as learn's intervals resample. Each copy keeps the
    rows' order, so a ranking's later choices stay behind their comparison."""
    person = _draws(choices.annotator, rng, choices.group)
    times = np.array([person[a] for a in choices.annotator.tolist()])
    if choices.prompt is not None:
        prompt = _draws(choices.prompt, rng)
        times = times * np.array([prompt[p] for p in choices.prompt.tolist()])
    return np.concatenate([np.flatnonzero(times > copy) for copy in range(times.max(initial=0))])
