"""An evaluation of the tuned model that its training signal did not make: rewards learned on other people
(``--eval-reward``: a learn run of other people, or the reward run fitted again on the people it held out) and value
poles placed by another value placer (``--eval-placer``). The reward that picked the training pairs also scores the
tuned model's answers by default, and then a win rate partly measures how well that reward's own errors were
optimised (a winner's curse): the two evaluations are shown side by side, each row tagged with its ``evaluation``.
A learned independent reward is itself an estimate from a few people: its interval and verdicts come from refits on
resamples of those people (``refit.py``), not from the prompts alone."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..estimators.crossfit import CrossFit
from ..candidates.placement import ValuePlacer
from ..models.base import LanguageModel
from .core import MAXMIN, judge_metrics, verdicts
from .eval_rewards import HELD_OUT, held_out_rewards, other_people_rewards, shared_people
from .outcome import align_summary
from .refit import judging_people, refit_signs, refit_tests
from .targets import POLE, PoleRewards

TRAINING = "training reward"  # the evaluation by the rewards that picked the pairs: not independent
INDEPENDENT = "independent"  # by rewards learned on other people, or poles placed by another judge model
SAME_WEIGHTS = "same weights, not independent"  # poles placed by the training placer's weights under another spec


class IndependentRewards:
    """Rewards that did not pick the training pairs, with the shape of ``GroupRewards``: ``rewards(contexts,
    responses)`` is (n, G), one column per name in ``names`` (the same names as the training rewards they stand in
    for); ``poles`` marks the value poles' columns and ``judged_by`` says in words who judges.

    Args:
        parts: (names, scorer, is a pole) for each source of columns.
        judged_by: who judges, for the report and the CLI.
        crossfit: the learned rewards' fit (``CrossFit``), which ``refit_signs`` fits again on resamples of its
            people; None when no column is learned.
        same_weights: the columns judged by the very weights that picked the training pairs (under another spec):
            their evaluation is not independent.
    """

    def __init__(self, parts: list[tuple[list[str], Callable, bool]], judged_by: str,
                 crossfit: CrossFit | None = None, same_weights: Sequence[str] = ()) -> None:
        self.parts, self.judged_by, self.crossfit = parts, judged_by, crossfit
        self.same_weights = list(same_weights)
        self.names = [name for names, _, _ in parts for name in names]
        self.poles = [pole for names, _, pole in parts for _ in names]

    def __call__(self, contexts: Sequence, responses: Sequence[str]) -> np.ndarray:
        """(n, G) each response's reward under each independent reward."""
        return np.column_stack([scorer(list(contexts), list(responses)) for _, scorer, _ in self.parts]).reshape(
            len(responses), len(self.names))


def _learned_part(reward: str, eval_reward: str, names: list[str]) -> tuple[list[str], Callable, str, CrossFit]:
    """The learned rewards of ``eval_reward`` that stand in for the training rewards ``names`` (a learn run of other
    people, or ``held-out``: ``reward`` fitted again on the people it held out), who judges, in words, and their
    ``CrossFit``."""
    if eval_reward == HELD_OUT:
        fit = held_out_rewards(reward)
        judged_by = f"{reward}'s rewards fitted again on the {fit.people} people it held out of fitting"
    else:
        shared = shared_people(reward, eval_reward)
        if shared:
            raise InputError(f"--eval-reward {eval_reward} learned from {shared} of the people --reward {reward} did, "
                             f"so it is not independent: learn it on other people, or give --eval-reward {HELD_OUT}")
        fit = other_people_rewards(eval_reward)
        judged_by = f"{eval_reward}, learned on {fit.people} other people"
    rewards = fit.rewards
    kept = [n for n in names if n in rewards.names]
    columns = [rewards.names.index(n) for n in kept]
    return kept, lambda contexts, responses: rewards(contexts, responses)[:, columns], judged_by, fit


def same_weights(training: LanguageModel, evaluating: LanguageModel) -> bool:
    """Whether two models run the same weights: one ``weights_source`` (a content digest; ``embedded`` and
    ``llamacpp:embedded`` both come from the embedded GGUF). False where either's is unknown (an ``openai:``
    server's)."""
    source = getattr(training, "weights_source", None)
    return source is not None and source == getattr(evaluating, "weights_source", None)


def independent_rewards(reward: str | None, eval_reward: str | None, eval_judge: tuple[str, ValuePlacer] | None,
                        names: list[str], target: str, pole: str | None, shares: str = "") -> IndependentRewards | None:
    """The independent rewards an align run judges with besides its training rewards (``names``, a pole target's
    last): ``eval_reward``'s learned ones, and the value poles placed by ``eval_judge`` (its spec and value placer;
    ``shares``: the training placer's spec where ``same_weights`` found them one model, so the poles are marked not
    independent); None when none was asked for; InputError when they cannot judge the target."""
    parts, who, fit, shared = [], [], None, []
    if eval_reward:
        kept, scorer, judged_by, fit = _learned_part(reward, eval_reward, [n for n in names if not n.startswith(POLE)])
        parts.append((kept, scorer, False))
        who.append(judged_by)
    if eval_judge is not None:
        spec, judge = eval_judge
        scorer = PoleRewards(judge, [pole] if reward else None)
        parts.append((scorer.names, scorer, True))
        who.append(f"the value poles placed by {spec}" + (f", the same weights as {shares}, which placed them for "
                                                          "the training pairs: not independent" if shares else ""))
        shared = scorer.names if shares else []
    if not parts:
        return None
    scorer = IndependentRewards(parts, "; ".join(who), fit, shared)
    needed = [n for n in names if not n.startswith(POLE)] if target == MAXMIN else [target]
    missing = [n for n in needed if n not in scorer.names]
    if missing:
        how = "--eval-placer MODEL places the pole" if missing[0].startswith(POLE) else \
            f"--eval-reward needs a reward named {missing[0]!r}"
        raise InputError(f"the independent evaluation cannot judge {missing[0]!r}: {how}")
    return scorer


def scored_record(key: str, answers: pd.DataFrame, scorer: IndependentRewards, seed: int) -> dict:
    """A record of the independent rewards of each held-out prompt's two answers (the judge run's
    ``answers.parquet``: role model, the tuned one, and against, the base) and, for the learned ones (``refit``
    names them), the sign of each answer pair's margin under each refit (``refit_signs``), how many people each was
    learned from (``refit_people``) and the seed that drew the refits' resamples and the held-out prompts' draws
    (``refit_seed``: ``seed``, the training's), so that a rerun reproduces them."""
    wide = answers.pivot(index="prompt_id", columns="role", values="text").dropna()
    prompts = answers.drop_duplicates("prompt_id").set_index("prompt_id").loc[wide.index, "prompt"].tolist()
    model, against = wide["model"].tolist(), wide["against"].tolist()
    learned = [n for n, pole in zip(scorer.names, scorer.poles) if not pole]
    refits = [] if scorer.crossfit is None or not learned else \
        refit_signs(scorer.crossfit, learned, prompts, model, against, seed).tolist()
    return {"key": key, "kind": "independent", "prompt_id": wide.index.tolist(), "names": scorer.names,
            "poles": scorer.poles, "judged_by": scorer.judged_by, "model": scorer(prompts, model).tolist(),
            "against": scorer(prompts, against).tolist(), "refit": learned if refits else [], "refits": refits,
            "refit_people": judging_people(scorer.crossfit, learned) if refits else [], "refit_seed": seed,
            "same_weights": scorer.same_weights}


def record_margins(record: dict) -> pd.DataFrame:
    """One row per held-out prompt, one column per independent reward: its reward of the tuned answer minus the
    base's."""
    return pd.DataFrame(np.subtract(record["model"], record["against"]), index=record["prompt_id"],
                        columns=record["names"])


def independent_summary(record: dict, target: str, tolerance: float, seed: int) -> pd.DataFrame:
    """``align_summary`` of the independent rewards (their win rates, the worst of the learned ones, each verdict),
    tagged ``evaluation`` = independent and ``judged_by``. The learned rewards' intervals and verdicts come from
    their refits (``refit_tests``, seeded by the record's ``refit_seed``: people, their prompts and the held-out
    prompts resampled; none for a reward learned from too few people, whose ``people`` column says how many); the
    value poles', which a judge model places, from the prompts alone (a record written before refits existed: the
    learned ones' too). ``seed`` draws what the record does not say (a record written before ``refit_seed``)."""
    table = verdicts(record["prompt_id"], record["model"], record["against"], record["names"])
    margins = record_margins(record)
    refit = record.get("refit", [])
    people = record.get("refit_people") or None  # a record written before it: as refit then, people unchecked
    metrics, tests = [], None
    if refit:
        rows, tests = refit_tests(np.sign(margins[refit].to_numpy()), np.asarray(record["refits"]), refit, tolerance,
                                  record.get("refit_seed", seed), people)
        metrics.append(rows)
    poles = {n for n, p in zip(record["names"], record["poles"]) if p}
    for is_pole in (False, True):
        part = table[(table.reward.isin(poles) == is_pole) & ~table.reward.isin(refit)]
        if len(part):
            names = part.reward.unique()
            metrics.append(judge_metrics(part, dict.fromkeys(names, 1 / len(names)), seed=seed, poles=is_pole))
    summary = align_summary(pd.concat(metrics, ignore_index=True), margins, target, tolerance, tests)
    summary["people"] = summary["reward"].map(dict(zip(refit, people or [])))
    return summary.assign(evaluation=INDEPENDENT, judged_by=record["judged_by"])
