"""The learn job: load comparisons, embed candidates, fit an estimator, evaluate it on unseen conversations, unseen
prompts and people never seen in training (where the data has people), against one shared reward (unless it is that
reward), and keep it all in a run directory."""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.cards import card, read_cards
from ..data.choices import RULE_REASONS, Choices
from ..data.schema import left_out
from ..data.sources import comparisons_from, parse_source
from ..errors import InputError
from ..estimators.base import ChoiceEstimator
from ..estimators.bradley_terry import BradleyTerry
from ..estimators.evaluate import (accuracy_gain, evaluate, learning_curve_points, rankings_gain,
                                   resampled_unit, split_choices)
from ..estimators.latent import PopulationChoice, SharedRewards
from ..estimators.named import ESTIMATORS, make_estimator
from ..jobs import Job, Summary
from ..models.base import LanguageModel
from ..runs import Run
from .describe import distinctive_candidates
from .replay import POLICIES, REPLAY_SHOTS, replay_points
from .results import BASELINE, POPULATION, packed, write_results
from .summary import summarise_learn

@dataclass
class LearnConfig:
    """What a learn run does; recorded in its manifest.

    Args:
        data: ``ca:FILE`` (Community Alignment's wide file), ``comparisons:FILE`` (our long table),
            ``trl:FILE`` (TRL pairwise, extra columns as annotator metadata) or ``simulated`` (a population with
            known types, no embedding needed).
        annotators: annotator table for ``comparisons:`` data.
        estimator: bt, group, mixture or ideal; ``auto`` is mixture where the data tells people apart and bt where
            every comparison comes from one annotator (a file without annotator ids), the run records which; k: types
            or prototypes; group: the annotator column that groups metrics (and GroupBradleyTerry).
        test_share, prompt_share, unseen_share: what ``split_choices`` holds out: a share of each seen person's
            conversations, of the prompts, and of the people.
        worst_min_n: the fewest people (with held-out choices) a group needs to count for the worst group.
        rankings: also learn from the later choices of comparisons that carry a ranking of their candidates (a
            `pluralign collect` study with rank = true, or a ``ranking`` column): the rank-ordered logit. Held-out
            metrics score the comparisons' own choices either way. Where training has such later choices, the
            estimator is fitted a second time on the first choices alone (``first_choices.npz``, a fit on a third of
            the rows for rankings of four) for ``rankings_gain``.
        active_replay: replay the unseen people's comparisons as if asked actively (``replay_points``), with
            ``epsilon`` the share of random tasks; needs a mixture or ideal points and people to hold out.
        design_weights: where the data records the probability with which each comparison was assigned (a
            `pluralign collect` study's), fit with each comparison weighed by its inverse (``design_weights``), so an
            active study's estimates are the population's, not the design's. Off by default: with ε = 0.1 the
            weights rest on the explored tenth of the rule's rows and cost more held-out accuracy than the bias they
            remove (docs/methods.md#design-weights).
    """

    data: str
    annotators: str | None = None
    estimator: str = "auto"
    k: int = 4
    group: str | None = None
    test_share: float = 0.25
    prompt_share: float = 0.2
    unseen_share: float = 0.2
    worst_min_n: int = 20
    shots: list[int] = field(default_factory=lambda: [0, 5, 10, 20])
    rankings: bool = True
    seed: int = 0
    active_replay: bool = False
    epsilon: float = 0.1
    design_weights: bool = False

    def __post_init__(self) -> None:
        if self.estimator not in (*ESTIMATORS, "auto"):
            raise InputError(f"unknown estimator {self.estimator!r}; choose from {', '.join(ESTIMATORS)} or auto")
        if self.active_replay and self.estimator in ("bt", "group"):
            raise InputError(f"--active-replay asks what teaches the most about each person's type or mix: use "
                             f"--estimator mixture or ideal, not {self.estimator}")
        if self.data != "simulated":
            try:
                parse_source(self.data, "comparisons")
            except ValueError:
                raise InputError(f"--data takes ca:FILE, prism:FILE|DIR, comparisons:FILE, trl:FILE or simulated, "
                                 f"got {self.data!r}") from None


def _estimator(config: LearnConfig) -> ChoiceEstimator:
    return make_estimator(config.estimator, config.k, config.seed)


@dataclass
class LearnData:
    """What a learn run learns from: the choices, a fingerprint of the data, each candidate's text (row for row with
    the features; None for simulated data), for simulated data each annotator's true type, the data cards of what it
    read (``read_cards``), how many rows of the data its loader left out, by reason (``data.left_out``), the
    fingerprint of the embedder that made the features (None for simulated data), which a reward must score with, and
    how many comparisons an active rule assigned (``assigned`` active or random: a `pluralign collect` study's)."""

    choices: Choices
    fingerprint: str
    cards: list[dict]
    texts: list[str] | None = None
    true_types: pd.DataFrame | None = None
    left_out: dict[str, int] = field(default_factory=dict)
    embedder: str | None = None
    active: int = 0


def load_choices(config: LearnConfig) -> LearnData:
    """The configured data, embedded and laid out as Choices."""
    if config.data == "simulated":
        from ..simulate import simulate_population

        population = simulate_population(random_state=config.seed)
        return LearnData(population.choices, f"simulated-{config.seed}", [card("simulated").summary()],
                         true_types=population.annotators)
    from ..embed import SentenceEmbedder
    from ..estimators.features import candidate_texts, comparison_choices

    comparisons, annotators = comparisons_from(config.data, config.annotators)
    digest = hashlib.sha256()
    for p in filter(None, [config.data.partition(":")[2], config.annotators]):
        for file in sorted(Path(p).glob("*.jsonl")) if Path(p).is_dir() else [Path(p)]:
            digest.update(file.read_bytes())
    texts, embedder = candidate_texts(comparisons), SentenceEmbedder()
    return LearnData(comparison_choices(comparisons, embedder, annotators, config.group, config.rankings,
                                        config.design_weights),
                     digest.hexdigest()[:16], read_cards(comparisons), texts, left_out=left_out(comparisons),
                     embedder=embedder.fingerprint,
                     active=int(comparisons.get("assigned", pd.Series(dtype=object)).isin(RULE_REASONS).sum()))


def run_learn(config: LearnConfig, out: str | Path, *, fresh: bool = False, progress: bool = True,
              use_cache: bool = True, models: dict[str, LanguageModel] | None = None) -> Summary:
    """Fit, evaluate and save into the run directory ``out``, recording each finished step in ``records.jsonl``: the
    fits (the estimator as ``model.npz``; unless it is ``bt``, the one-reward baseline as ``baseline.npz``; where it
    learns from rankings, the estimator on first choices alone as ``first_choices.npz``), each model's evaluation on
    each held-out split, the paired gains, type recovery, each learning-curve point and what distinguishes each type.
    The manifest records what the loader left out (``left_out``), what the intervals resample (``resampled``:
    people, or prompts where every choice comes from one annotator, and then no one is held out as an unseen person)
    and the fingerprint of the embedder the features came from (``embedder``), which ``GroupRewards`` checks.

    Re-running with the same config resumes: finished steps are read back, never repeated. The tables are then
    written from the records (``write_results``). Returns the run's summary (``summarise_learn``); it loads no
    language model (it embeds with the embedded MiniLM), so ``progress``, ``use_cache`` and ``models`` change nothing.
    """
    data = load_choices(config)
    choices = data.choices
    resampled = resampled_unit(choices)
    if config.estimator == "auto":
        config = replace(config, estimator="mixture" if resampled == "people" else "bt")
    if resampled != "people" and (config.estimator != "bt" or config.group):
        asked = f"--group {config.group}" if config.group else f"--estimator {config.estimator}"
        raise InputError(f"every comparison in {config.data} comes from one annotator (a file without annotator ids "
                         f"counts as one), so {asked} has no people to tell apart: use --estimator bt without --group")
    if config.active_replay and resampled != "people":
        raise InputError(f"every comparison in {config.data} comes from one annotator (a file without annotator ids "
                         "counts as one), so --active-replay has no held-out people to ask")
    if config.estimator == "group" and choices.group is None:
        raise InputError("the group estimator needs --group COLUMN (a column of the annotator table)")
    if data.active and config.estimator in ("bt", "group"):
        warnings.warn(f"{data.active} comparisons were assigned by an active rule, which asks each person what splits "
                      f"people like them: one reward fitted on them{' per group' * (config.estimator == 'group')} "
                      "is the design's, not the population's; --estimator mixture or ideal shows the population's "
                      "choice they imply, which the design does not bias "
                      "(docs/methods.md#the-population-reward-under-active-assignment)", stacklevel=2)
    run = Run(out, "learn", asdict(config), data.fingerprint, fresh=fresh, seed=config.seed)
    run.describe_data(data_cards=data.cards, left_out=data.left_out, resampled=resampled, embedder=data.embedder)
    split = split_choices(choices, test_share=config.test_share, prompt_share=config.prompt_share,
                          unseen_share=config.unseen_share if resampled == "people" else 0, random_state=config.seed)
    done = run.done_keys()
    name = ESTIMATORS[config.estimator]
    parts = {"unseen conversations": split.conversations, "unseen prompts": split.prompts}
    if resampled == "people":
        parts["unseen people, 0-shot"] = split.unseen
    with run.recording():
        model = _fitted(run, done, "model", _estimator(config), split.train)
        compared = [(name, model)]
        if config.estimator != "bt":
            compared.append((BASELINE, _fitted(run, done, "baseline", BradleyTerry(), split.train)))
        if data.active and isinstance(model, SharedRewards):  # where the one shared reward is the design's
            compared.append((f"{name} {POPULATION}", PopulationChoice(model)))
        for model_name, fitted in compared:
            for part, held in parts.items():
                key = f"evaluate|{model_name}|{part}"
                if len(held) and key not in done:
                    table = evaluate(fitted, held, seed=config.seed, min_n=config.worst_min_n, resampled=resampled)
                    run.append([{"key": key, "kind": "metrics", "model": model_name, "split": part, **packed(table)}])
                elif not len(held) and fitted is model:
                    warnings.warn(f"the split '{part}' is empty for this data (see docs/methods.md#learn-splits); "
                                  "its rows are left out", stacklevel=2)
        for part, held in parts.items():  # the estimator against the shared reward, paired on the same choices
            if len(compared) > 1 and len(held) and f"gain|{part}" not in done:
                table = accuracy_gain(model, compared[1][1], held, seed=config.seed, resampled=resampled)
                run.append([{"key": f"gain|{part}", "kind": "metrics", "model": name, "split": part, **packed(table)}])
        if not split.train.first.all():  # the rank-ordered logit against the same estimator on first choices
            first = _fitted(run, done, "first_choices", _estimator(config), split.train.first_choices())
            for part, held in parts.items():
                if len(held) and f"rankings|{part}" not in done:
                    table = rankings_gain(model, first, held, seed=config.seed, resampled=resampled)
                    run.append([{"key": f"rankings|{part}", "kind": "metrics", "model": name, "split": part,
                                 **packed(table)}])
        if isinstance(model, SharedRewards):
            _record_types(run, done, config, data, split.unseen, model)
    write_results(run.path)
    return summarise_learn(run.path)


def _fitted(run: Run, done: set[str], role: str, estimator: ChoiceEstimator, train: Choices) -> ChoiceEstimator:
    """``estimator`` fitted on ``train``: read back from ``<role>.npz`` when this run fitted it before, else fitted,
    saved (whole or not at all) and recorded, with the type sizes the report shows."""
    key, path = f"fit|{role}", run.path / f"{role}.npz"
    if key in done:
        return type(estimator).load(path)
    estimator.fit(train)
    os.replace(estimator.save(run.path / f"{role}.partial.npz"), path)
    sizes = _type_sizes(estimator)
    run.append([{"key": key, "kind": "fit", "role": role, "estimator": type(estimator).__name__, "file": path.name,
                 "sizes": None if sizes is None else packed(sizes), "comparisons": int(train.first.sum()),
                 "later_choices": int((~train.first).sum())}])
    return estimator


def _record_types(run: Run, done: set[str], config: LearnConfig, data: LearnData, unseen: Choices,
                  model: SharedRewards) -> None:
    """Record what only models of types or prototypes have: how well they recover simulated types, the learning
    curve on unseen people (one record per point), asked for, the active replay's points, and what distinguishes
    each type (for data with texts)."""
    if data.true_types is not None and "type_recovery" not in done:
        run.append([{"key": "type_recovery", "kind": "metrics", "model": ESTIMATORS[config.estimator],
                     "split": "training people", **packed(type_recovery(model, data.true_types))}])
    if len(unseen):
        todo = [s for s in config.shots if f"curve|{s}" not in done]
        for point in learning_curve_points(model, unseen, todo, config.test_share, seed=config.seed):
            run.append([{"key": f"curve|{point['shots']}", "kind": "curve", **point}])
        if config.active_replay and not all(f"replay|{p}|{s}" in done for p in POLICIES for s in REPLAY_SHOTS):
            for point in replay_points(model, unseen, test_share=config.test_share, epsilon=config.epsilon,
                                       seed=config.seed):
                if f"replay|{point['policy']}|{point['shots']}" not in done:
                    run.append([{"key": f"replay|{point['policy']}|{point['shots']}", "kind": "replay", **point}])
    if data.texts is not None and "distinctive" not in done:
        run.append([{"key": "distinctive", "kind": "distinctive",
                     **packed(distinctive_candidates(model, data.choices.features, data.texts))}])


def _type_sizes(model: ChoiceEstimator) -> pd.DataFrame | None:
    """Share of annotators per latent type, or average weight per prototype; None for one-reward models."""
    if not isinstance(model, SharedRewards):
        return None
    return pd.DataFrame({"name": model.reward_names_, "share": model.proportions_})


def type_recovery(model: SharedRewards, truth: pd.DataFrame) -> pd.DataFrame:
    """Adjusted Rand index between the true types of the people seen in training and the type (or dominant
    prototype) the model gives them: 1 = recovered exactly, 0 = no better than chance."""
    from sklearn.metrics import adjusted_rand_score

    seen = truth[np.isin(truth["annotator"], model.annotators_)]
    recovered = model.mixing_weights(seen["annotator"].to_numpy()).argmax(1)
    return pd.DataFrame([{"metric": "type_recovery_ari", "grouping": "overall", "group": "all",
                          "value": adjusted_rand_score(seen["type"], recovered), "n": len(seen)}])


JOB = Job("learn", LearnConfig, run_learn, summarise_learn, write_results)
