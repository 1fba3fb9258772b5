"""Rewards learned on other people than a learn run's: what an independent judge of a model tuned on that run's reward
needs, since the reward that picked the training pairs rewards its own noise when it also scores the result."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np

from ..data.sources import comparisons_from
from ..errors import InputError
from ..runs import read_manifest
from .evaluate import resampled_unit, split_choices
from .job import LearnConfig, _estimator, load_choices
from .reward import GroupRewards, learned_model

HELD_OUT = "held-out"  # the evaluation reward fitted on the people a learn run held out of fitting

# Types or prototypes fitted twice are not the same types (their order and meaning change), so their names cannot
# pair a reward with its independent twin; groups (a person column) and the one shared reward can.
NAMED_BY_DATA = ("group", "bt")


def learn_config(run_dir: str | Path) -> LearnConfig:
    """The config a learn run recorded (its estimator resolved), for fitting the same way on other people."""
    learned_model(run_dir)  # a learn run on texts, finished: else RunError saying which
    recorded = read_manifest(run_dir)["config"]
    return LearnConfig(**{f.name: recorded[f.name] for f in fields(LearnConfig) if f.name in recorded})


def held_out_rewards(run_dir: str | Path) -> tuple[GroupRewards, int]:
    """The rewards the learn run ``run_dir`` fitted, fitted again, the same way, on the people it held out of fitting
    (its unseen people: ``split_choices`` with the run's own shares and seed), and how many people those are. No one
    whose choices trained the run's reward trains these, so they judge a model tuned on that reward independently."""
    config = learn_config(run_dir)
    if config.estimator not in NAMED_BY_DATA:
        raise InputError(f"{run_dir} fitted latent {'types' if config.estimator == 'mixture' else 'prototypes'}, which "
                         "a second fit on other people does not name alike: cross-fit a group or bt reward, or give "
                         "--eval-reward a learn run of other people whose types you have matched")
    choices = load_choices(config).choices
    if resampled_unit(choices) != "people":
        raise InputError(f"{run_dir} learned from one annotator's choices: there are no other people to judge with")
    unseen = split_choices(choices, config.test_share, config.prompt_share, config.unseen_share, config.seed).unseen
    people = len(np.unique(unseen.annotator))
    if people < 2:
        raise InputError(f"{run_dir} held {people} people out of fitting (a share of {config.unseen_share}): too "
                         "few to fit a reward on; give --eval-reward a learn run on other people")
    from ..embed import SentenceEmbedder

    return GroupRewards(_estimator(config).fit(unseen), SentenceEmbedder()), people


def shared_people(run_dir: str | Path, other: str | Path) -> int:
    """How many people the data of two learn runs have in common (0: the rewards were learned on other people)."""
    def people(run: str | Path) -> set[str]:
        config = learn_config(run)
        comparisons, _ = comparisons_from(config.data, config.annotators)
        return set(comparisons["annotator_id"].astype(str))

    return len(people(run_dir) & people(other))
