"""An evaluation of the tuned model that its training signal did not make: rewards learned on other people
(``--eval-reward``: a learn run of other people, or the reward run fitted again on the people it held out) and value
poles placed by another value placer (``--eval-placer``). The reward that picked the training pairs also scores the
tuned model's answers by default, and then a win rate partly measures how well that reward's own errors were
optimised (a winner's curse): the two evaluations are shown side by side, each row tagged with its ``evaluation``."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..preferences.crossfit import HELD_OUT, held_out_rewards, shared_people
from ..preferences.reward import GroupRewards
from ..candidates.placement import ValuePlacer
from .core import MAXMIN, judge_metrics, verdicts
from .outcome import align_summary
from .targets import POLE, PoleRewards

TRAINING = "training reward"  # the evaluation by the rewards that picked the pairs: not independent
INDEPENDENT = "independent"  # by rewards learned on other people, or poles placed by another judge model


class IndependentRewards:
    """Rewards that did not pick the training pairs, with the shape of ``GroupRewards``: ``rewards(contexts,
    responses)`` is (n, G), one column per name in ``names`` (the same names as the training rewards they stand in
    for); ``poles`` marks the value poles' columns and ``judged_by`` says in words who judges.

    Args:
        parts: (names, scorer, is a pole) for each source of columns.
        judged_by: who judges, for the report and the CLI.
    """

    def __init__(self, parts: list[tuple[list[str], Callable, bool]], judged_by: str) -> None:
        self.parts, self.judged_by = parts, judged_by
        self.names = [name for names, _, _ in parts for name in names]
        self.poles = [pole for names, _, pole in parts for _ in names]

    def __call__(self, contexts: Sequence, responses: Sequence[str]) -> np.ndarray:
        """(n, G) each response's reward under each independent reward."""
        return np.column_stack([scorer(list(contexts), list(responses)) for _, scorer, _ in self.parts]).reshape(
            len(responses), len(self.names))


def _learned_part(reward: str, eval_reward: str, names: list[str]) -> tuple[list[str], Callable, str]:
    """The learned rewards of ``eval_reward`` that stand in for the training rewards ``names`` (a learn run of other
    people, or ``held-out``: ``reward`` fitted again on the people it held out), and who judges, in words."""
    if eval_reward == HELD_OUT:
        rewards, people = held_out_rewards(reward)
        judged_by = f"{reward}'s rewards fitted again on the {people} people it held out of fitting"
    else:
        shared = shared_people(reward, eval_reward)
        if shared:
            raise InputError(f"--eval-reward {eval_reward} learned from {shared} of the people --reward {reward} did, "
                             f"so it is not independent: learn it on other people, or give --eval-reward {HELD_OUT}")
        rewards, judged_by = GroupRewards.from_run(eval_reward), f"{eval_reward}, learned on other people"
    kept = [n for n in names if n in rewards.names]
    columns = [rewards.names.index(n) for n in kept]
    return kept, lambda contexts, responses: rewards(contexts, responses)[:, columns], judged_by


def independent_rewards(reward: str | None, eval_reward: str | None, eval_judge: tuple[str, ValuePlacer] | None,
                        names: list[str], target: str, pole: str | None) -> IndependentRewards | None:
    """The independent rewards an align run judges with besides its training rewards (``names``, a pole target's
    last): ``eval_reward``'s learned ones, and the value poles placed by ``eval_judge`` (its spec and value placer);
    None when none was asked for; InputError when they cannot judge the target."""
    parts, who = [], []
    if eval_reward:
        kept, scorer, judged_by = _learned_part(reward, eval_reward, [n for n in names if not n.startswith(POLE)])
        parts.append((kept, scorer, False))
        who.append(judged_by)
    if eval_judge is not None:
        spec, judge = eval_judge
        scorer = PoleRewards(judge, [pole] if reward else None)
        parts.append((scorer.names, scorer, True))
        who.append(f"the value poles placed by {spec}")
    if not parts:
        return None
    scorer = IndependentRewards(parts, "; ".join(who))
    needed = [n for n in names if not n.startswith(POLE)] if target == MAXMIN else [target]
    missing = [n for n in needed if n not in scorer.names]
    if missing:
        how = "--eval-placer MODEL places the pole" if missing[0].startswith(POLE) else \
            f"--eval-reward needs a reward named {missing[0]!r}"
        raise InputError(f"the independent evaluation cannot judge {missing[0]!r}: {how}")
    return scorer


def scored_record(key: str, answers: pd.DataFrame, scorer: IndependentRewards) -> dict:
    """A record of the independent rewards of each held-out prompt's two answers (the judge run's
    ``answers.parquet``: role model, the tuned one, and against, the base)."""
    wide = answers.pivot(index="prompt_id", columns="role", values="text").dropna()
    prompts = answers.drop_duplicates("prompt_id").set_index("prompt_id").loc[wide.index, "prompt"].tolist()
    return {"key": key, "kind": "independent", "prompt_id": wide.index.tolist(), "names": scorer.names,
            "poles": scorer.poles, "judged_by": scorer.judged_by,
            "model": scorer(prompts, wide["model"].tolist()).tolist(),
            "against": scorer(prompts, wide["against"].tolist()).tolist()}


def record_margins(record: dict) -> pd.DataFrame:
    """One row per held-out prompt, one column per independent reward: its reward of the tuned answer minus the
    base's."""
    return pd.DataFrame(np.subtract(record["model"], record["against"]), index=record["prompt_id"],
                        columns=record["names"])


def independent_summary(record: dict, target: str, tolerance: float, seed: int) -> pd.DataFrame:
    """``align_summary`` of the independent rewards (their win rates, the worst of the learned ones, each verdict),
    tagged ``evaluation`` = independent and ``judged_by``."""
    table = verdicts(record["prompt_id"], record["model"], record["against"], record["names"])
    poles = {n for n, p in zip(record["names"], record["poles"]) if p}
    metrics = []
    for is_pole in (False, True):
        part = table[table.reward.isin(poles) == is_pole]
        if len(part):
            names = part.reward.unique()
            metrics.append(judge_metrics(part, dict.fromkeys(names, 1 / len(names)), seed=seed, poles=is_pole))
    summary = align_summary(pd.concat(metrics, ignore_index=True), record_margins(record), target, tolerance)
    return summary.assign(evaluation=INDEPENDENT, judged_by=record["judged_by"])
