"""The rewards ``--eval-reward`` names, learned on other people than the training reward's learn run: a learn run of
other people, or that run's rewards fitted again on the people it held out (``held-out``). Each comes as a ``CrossFit``
(the rewards, the choices and the estimator that fitted them), so that a verdict can fit it again on resamples of
those people. A learn run's settings come from its manifest through the job registry (``Job.config``), so align fits
the way learn did without importing the learn job."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..data.choices import Choices
from ..data.sources import comparisons_from
from ..embed import SentenceEmbedder
from ..errors import InputError
from ..estimators.base import ChoiceEstimator
from ..estimators.crossfit import CrossFit
from ..estimators.evaluate import resampled_unit, split_choices
from ..estimators.features import comparison_choices
from ..estimators.named import make_estimator
from ..estimators.reward import GroupRewards, learned_model
from ..jobs import job_of
from ..runs import read_manifest

HELD_OUT = "held-out"  # the evaluation reward fitted on the people a learn run held out of fitting

# Types or prototypes fitted twice are not the same types (their order and meaning change), so their names cannot
# pair a reward with its independent twin, nor a refit with the fit it resamples; groups (a person column) and the one
# shared reward can.
NAMED_BY_DATA = ("group", "bt")


def learn_config(run_dir: str | Path) -> Any:
    """The config a learn run recorded (its estimator resolved), as the learn job's registered ``Job.config``, for
    fitting the same way on other people."""
    learned_model(run_dir)  # a learn run on texts, finished: else RunError saying which
    settings = job_of(run_dir).config
    recorded = read_manifest(run_dir)["config"]
    return settings(**{f.name: recorded[f.name] for f in fields(settings) if f.name in recorded})


def _estimator(config: Any) -> Callable[[], ChoiceEstimator]:
    """A factory of the unfitted estimator a learn run's ``config`` names."""
    return lambda: make_estimator(config.estimator, config.k, config.seed)


def _choices(config: Any, embedder: SentenceEmbedder) -> Choices:
    """The choices a learn run on texts fitted on (never simulated ones: ``learned_model`` refuses those), embedded
    as the learn job embeds them."""
    comparisons, annotators = comparisons_from(config.data, config.annotators)
    return comparison_choices(comparisons, embedder, annotators, config.group, config.rankings)


def _refittable(run_dir: str | Path, config: Any, other: str) -> None:
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
    embedder = SentenceEmbedder()  # one model for the choices and the reward
    choices = _choices(config, embedder)
    if resampled_unit(choices) != "people":
        raise InputError(f"{run_dir} learned from one annotator's choices: there are no other people to judge with")
    unseen = split_choices(choices, config.test_share, config.prompt_share, config.unseen_share, config.seed).unseen
    people = len(np.unique(unseen.annotator))
    if people < 2:
        raise InputError(f"{run_dir} held {people} people out of fitting (a share of {config.unseen_share}): too "
                         "few to fit a reward on; give --eval-reward a learn run on other people")
    estimator = _estimator(config)
    return CrossFit(GroupRewards(estimator().fit(unseen), embedder), unseen, estimator, people)


def other_people_rewards(run_dir: str | Path) -> CrossFit:
    """The rewards a learn run of other people fitted (``model.npz``), with the choices it fitted them on (its
    training split: ``split_choices`` with its own shares and seed), so that they can be fitted again the same way."""
    config = learn_config(run_dir)
    _refittable(run_dir, config, "so that a verdict can fit it again on resamples of its people")
    choices = _choices(config, SentenceEmbedder())
    resampled = resampled_unit(choices)
    train = split_choices(choices, config.test_share, config.prompt_share,
                          config.unseen_share if resampled == "people" else 0, config.seed).train
    return CrossFit(GroupRewards.from_run(run_dir), train, _estimator(config), len(np.unique(train.annotator)))


def shared_people(run_dir: str | Path, other: str | Path) -> int:
    """How many people the data of two learn runs have in common (0: the rewards were learned on other people)."""
    def people(run: str | Path) -> set[str]:
        config = learn_config(run)
        comparisons, _ = comparisons_from(config.data, config.annotators)
        return set(comparisons["annotator_id"].astype(str))

    return len(people(run_dir) & people(other))
