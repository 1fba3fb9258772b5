"""The resamples a cross-fitted reward is fitted again on: people (within their groups) crossed with prompts."""

from __future__ import annotations

import numpy as np

from pluralign.data.choices import Choices
from pluralign.estimators.crossfit import crossed_resample


def _choices(stages: bool = False) -> Choices:
    """4 people in 2 groups, each answering 3 prompts (one pair each); with ``stages`` every comparison is followed
    by a later choice of its ranking, which must stay right behind it."""
    annotator = np.repeat(["a", "b", "c", "d"], 3)
    prompt = np.tile(["x", "y", "z"], 4)
    group = np.repeat(["g1", "g1", "g2", "g2"], 3)
    stage = None
    if stages:
        annotator, prompt, group, stage = (np.repeat(annotator, 2), np.repeat(prompt, 2), np.repeat(group, 2),
                                           np.tile([0, 1], 12))
    n = len(annotator)
    return Choices(np.arange(6.0)[:, None], np.tile([[0, 1, 2]], (n, 1)), np.zeros(n, int), annotator, group=group,
                   prompt=prompt, stage=stage)


def test_a_crossfit_resample_takes_each_row_its_persons_draws_times_its_prompts_draws_within_groups():
    choices = _choices()
    people_drawn = set()
    for seed in range(20):
        taken = np.bincount(crossed_resample(choices, np.random.default_rng(seed)), minlength=len(choices))
        per = taken.reshape(4, 3)  # person × prompt: everyone answered every prompt once
        # 3 prompts are drawn in all, and 2 people in each group: the margins give each one's draws
        person, prompt = per.sum(axis=1) / 3, per.sum(axis=0) / 4
        assert (per == np.outer(person, prompt)).all()
        assert person[:2].sum() == 2 and person[2:].sum() == 2 and prompt.sum() == 3
        people_drawn.add(tuple(person))
    assert len(people_drawn) > 1  # the draws change with the seed


def test_a_crossfit_resample_keeps_a_rankings_later_choices_behind_their_comparison():
    choices = _choices(stages=True)
    for seed in range(20):
        rows = crossed_resample(choices, np.random.default_rng(seed))
        stage = choices.stage[rows]
        assert (np.diff(np.flatnonzero(stage == 0)) >= 1).all() and (stage[1::2] == 1).all() and (stage[::2] == 0).all()
        assert (rows[1::2] == rows[::2] + 1).all()
