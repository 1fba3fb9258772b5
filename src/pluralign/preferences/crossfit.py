"""Rewards learned on other people than a learn run's: what an independent judge of a model tuned on that run's reward
needs, since the reward that picked the training pairs rewards its own noise when it also scores the result. Each comes
with the choices and the estimator that fitted it (``CrossFit``), so that a verdict can fit it again on resamples of
those people and prompts and carry the noise of a reward estimated from few people."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Callable

import numpy as np

from ..data.choices import Choices
from ..data.sources import comparisons_from
from ..errors import InputError
from ..runs import read_manifest
from .base import ChoiceEstimator
from .evaluate import resampled_unit, split_choices
from .job import LearnConfig, _estimator, load_choices
from .reward import GroupRewards, learned_model, reward_heads

HELD_OUT = "held-out"  # the evaluation reward fitted on the people a learn run held out of fitting

# Types or prototypes fitted twice are not the same types (their order and meaning change), so their names cannot
# pair a reward with its independent twin, nor a refit with the fit it resamples; groups (a person column) and the one
# shared reward can.
NAMED_BY_DATA = ("group", "bt")


@dataclass
class CrossFit:
    """A reward learned on other people, with what fitted it: ``rewards`` (``GroupRewards``), the ``choices`` and a
    factory of the unfitted ``estimator``, and how many ``people`` made those choices."""

    rewards: GroupRewards
    choices: Choices
    estimator: Callable[[], ChoiceEstimator]
    people: int

    def refits(self, replicates: int, seed: int) -> np.ndarray:
        """(replicates, G, d): the coefficients of each reward in ``rewards.names`` fitted again on ``replicates``
        resamples of the people and prompts (``crossed_resample``, drawn by ``seed``), the same estimator each time.
        Most of an independent evaluation's cost: a group reward's refit on the 80 choices of the tests' 5 held-out
        people took 0.09 s of CPU time here, so 200 of them 18 s, once per training seed (each draws its own)."""
        rng = np.random.default_rng(seed)
        out = np.empty((replicates, *self.rewards.coef.shape))
        for b in range(replicates):
            resample = self.choices.subset(crossed_resample(self.choices, rng))
            names, coef, _ = reward_heads(self.estimator().fit(resample))
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


def learn_config(run_dir: str | Path) -> LearnConfig:
    """The config a learn run recorded (its estimator resolved), for fitting the same way on other people."""
    learned_model(run_dir)  # a learn run on texts, finished: else RunError saying which
    recorded = read_manifest(run_dir)["config"]
    return LearnConfig(**{f.name: recorded[f.name] for f in fields(LearnConfig) if f.name in recorded})


def _refittable(run_dir: str | Path, config: LearnConfig, other: str) -> None:
    """InputError unless the run's estimator names its rewards by the data (``NAMED_BY_DATA``); ``other`` says what to
    do instead."""
    if config.estimator not in NAMED_BY_DATA:
        raise InputError(f"{run_dir} fitted latent {'types' if config.estimator == 'mixture' else 'prototypes'}, which "
                         f"a second fit does not name alike: cross-fit a group or bt reward, {other}")


def held_out_rewards(run_dir: str | Path) -> CrossFit:
    """The rewards the learn run ``run_dir`` fitted, fitted again, the same way, on the people it held out of fitting
    (its unseen people: ``split_choices`` with the run's own shares and seed). No one whose choices trained the run's
    reward trains these, so they judge a model tuned on that reward independently."""
    config = learn_config(run_dir)
    _refittable(run_dir, config, "or give --eval-reward a learn run of other people that learned one")
    choices = load_choices(config).choices
    if resampled_unit(choices) != "people":
        raise InputError(f"{run_dir} learned from one annotator's choices: there are no other people to judge with")
    unseen = split_choices(choices, config.test_share, config.prompt_share, config.unseen_share, config.seed).unseen
    people = len(np.unique(unseen.annotator))
    if people < 2:
        raise InputError(f"{run_dir} held {people} people out of fitting (a share of {config.unseen_share}): too "
                         "few to fit a reward on; give --eval-reward a learn run on other people")
    from ..embed import SentenceEmbedder

    return CrossFit(GroupRewards(_estimator(config).fit(unseen), SentenceEmbedder()), unseen,
                    lambda: _estimator(config), people)


def other_people_rewards(run_dir: str | Path) -> CrossFit:
    """The rewards a learn run of other people fitted (``model.npz``), with the choices it fitted them on (its
    training split: ``split_choices`` with its own shares and seed), so that they can be fitted again the same way."""
    config = learn_config(run_dir)
    _refittable(run_dir, config, "so that a verdict can fit it again on resamples of its people")
    choices = load_choices(config).choices
    resampled = resampled_unit(choices)
    train = split_choices(choices, config.test_share, config.prompt_share,
                          config.unseen_share if resampled == "people" else 0, config.seed).train
    return CrossFit(GroupRewards.from_run(run_dir), train, lambda: _estimator(config),
                    len(np.unique(train.annotator)))


def shared_people(run_dir: str | Path, other: str | Path) -> int:
    """How many people the data of two learn runs have in common (0: the rewards were learned on other people)."""
    def people(run: str | Path) -> set[str]:
        config = learn_config(run)
        comparisons, _ = comparisons_from(config.data, config.annotators)
        return set(comparisons["annotator_id"].astype(str))

    return len(people(run_dir) & people(other))
