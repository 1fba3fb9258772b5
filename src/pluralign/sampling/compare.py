"""The ``compare-samplers`` job, Community Alignment's experiment: which sampler's sets let a learner find out what
people want? Sets come from ``job.generate_sets`` (with each model's default answer and the placer's check); a
simulated population chooses among them, and the preference estimators learn from those choices.

It fits the estimators of ``pluralign.estimators`` (BradleyTerry, IdealPoint), the floor below the capabilities
that learn fits with too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..candidates.measures import annotator_positions, coverage, humans_versus_models, oracle_correct, set_diversity
from ..candidates.placement import pole_accuracy
from ..candidates.prompts import conversation
from ..data import prompts_from
from ..data.axes import AXES, POLES
from ..data.choices import Choices
from ..embed import SentenceEmbedder
from ..estimators.bradley_terry import BradleyTerry
from ..estimators.evaluate import PEOPLE_AND_PROMPTS, per_comparison
from ..estimators.features import context_text, interaction_features
from ..estimators.ideal_point import IdealPoint
from ..jobs import Job, Summary
from ..metrics import check_row, disaggregate, write_metrics
from ..models.base import LanguageModel
from ..runs import read_manifest, read_records
from ..simulate.value_axes import simulate_value_choices
from .config import SamplingConfig
from .job import candidate_table, generate_sets
from .report import ITEMS, write_compare_report
from .summary import summarise_comparison


def run_compare_samplers(config: SamplingConfig, out: str | Path, *, fresh: bool = False, progress: bool = True,
                         use_cache: bool = True, models: dict[str, LanguageModel] | None = None) -> Summary:
    """The experiment of Community Alignment, end to end: sets from each sampler for the same prompts, a simulated
    population with ideal points on the value axes choosing among them, estimators trained on those choices and
    evaluated on people and prompts held out. Writes tables, ``metrics.parquet`` and ``report.html``."""
    prompts = prompts_from(config.prompts, columns=config.columns or None, limit=config.limit)
    run = generate_sets(prompts, config, out, "compare-samplers", fresh=fresh, progress=progress, use_cache=use_cache,
                        models=models, defaults=True)
    write_results(run.path)
    return summarise_comparison(run.path)


def _split(prompt_ids: list[str], n_annotators: int, config: SamplingConfig) -> tuple[set[str], set[int]]:
    rng = np.random.default_rng(config.seed)
    n_test = max(1, int(round(config.test_share * len(prompt_ids))))
    test_prompts = set(rng.choice(prompt_ids, size=n_test, replace=False).tolist())
    unseen = set(rng.choice(n_annotators, size=int(round(config.unseen_share * n_annotators)), replace=False).tolist())
    return test_prompts, unseen


def learnability(candidates: pd.DataFrame, vectors: np.ndarray,
                 config: SamplingConfig) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Simulated people choose among one sampler's sets; BradleyTerry and IdealPoint learn from the seen people's
    choices on training prompts. Returns per-comparison results (sampler, estimator, split, correct, log_loss),
    the same for the people's true utilities on the same held-out comparisons (sampler, split, group, correct: the
    ceiling of that sampler's sets), and the choices with the chosen candidates' positions."""
    positions = candidates[list(AXES)].to_numpy(float)
    results, ceiling, chosen_rows = [], [], []
    for sampler, part in candidates.groupby("sampler", sort=False):
        sets = [g.index.to_numpy() for _, g in part.groupby("set_id", sort=False)]
        set_prompt = [part.loc[s[0], "prompt_id"] for s in sets]
        annotators, choices = simulate_value_choices(positions, sets, config.annotators, sharpness=config.sharpness,
                                                     random_state=config.seed)
        test_prompts, unseen = _split(sorted(set(set_prompt)), config.annotators, config)
        width = max(len(s) for s in sets)
        offered = np.full((len(sets), width), -1)
        for i, s in enumerate(sets):
            offered[i, : len(s)] = s
        set_of = choices["set"].to_numpy()
        table = Choices(vectors, offered[set_of], choices["chosen"].to_numpy(), choices["annotator"].to_numpy(),
                        annotators["type"].to_numpy()[choices["annotator"].to_numpy()], prompt=np.array(set_prompt)[set_of])
        is_test = np.array([set_prompt[s] in test_prompts for s in set_of])
        is_unseen = np.isin(choices["annotator"], list(unseen))
        train = table.subset(~is_test & ~is_unseen)
        fitted = {"bradley-terry": BradleyTerry().fit(train),
                  "ideal-point": IdealPoint(n_prototypes=config.prototypes, random_state=config.seed).fit(train)}
        splits = {"seen people, held-out prompts": table.subset(is_test & ~is_unseen),
                  "unseen people, held-out prompts": table.subset(is_test & is_unseen)}
        ideals = annotators[[f"ideal_{a}" for a in AXES]].to_numpy()
        for split, rows in ((split, rows) for split, rows in splits.items() if len(rows)):
            correct = oracle_correct(ideals[rows.annotator], positions, rows.candidates, rows.chosen)
            ceiling.append(pd.DataFrame({"sampler": sampler, "split": split, "group": rows.group,
                                         "annotator": rows.annotator, "prompt": rows.prompt, "correct": correct}))
            results += [per_comparison(model, rows).assign(sampler=sampler, estimator=estimator, split=split)
                        for estimator, model in fitted.items()]
        if unseen:  # unseen people, after adapting to their choices on the training prompts
            model = fitted["ideal-point"]
            model.reset_adaptation()
            model.adapt(table.subset(~is_test & is_unseen))
            results.append(per_comparison(model, splits["unseen people, held-out prompts"])
                           .assign(sampler=sampler, estimator="ideal-point, adapted", split="unseen people, held-out prompts"))
            model.reset_adaptation()
        picked = np.array([sets[i][c] for i, c in zip(set_of, choices["chosen"])])
        chosen_rows.append(choices.assign(sampler=sampler, **{a: candidates.loc[picked, a].to_numpy() for a in AXES}))
    return pd.concat(results, ignore_index=True), pd.concat(ceiling, ignore_index=True), pd.concat(chosen_rows, ignore_index=True)


def learnability_metrics(results: pd.DataFrame, ceiling: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Accuracy and log-loss of each estimator, and the oracle's accuracy, by sampler and split, from what
    ``learnability`` returns. Intervals resample people and held-out prompts, crossed (every simulated person answers
    every prompt; held-out prompts stand for new ones), as in ``pluralign learn``."""
    accuracy = disaggregate(results, {"accuracy": "correct", "log_loss": "log_loss"}, ["group"],
                            keys=["sampler", "estimator", "split"], cluster=PEOPLE_AND_PROMPTS, seed=seed)
    oracle = disaggregate(ceiling, {"oracle_accuracy": "correct"}, ["group"], keys=["sampler", "split"],
                          cluster=PEOPLE_AND_PROMPTS, seed=seed)
    return pd.concat([accuracy, oracle], ignore_index=True)


def _judge_check(judge: pd.DataFrame, spec: str) -> pd.DataFrame:
    """The value placer's accuracy on responses of known pole as a check; it has no sampler, so it covers every
    sampler's coverage, spread and learnability."""
    overall = judge[(judge["axis"] == "all") & (judge["language"] == "all")]
    return pd.DataFrame([check_row("value_judge_near_chance", r["accuracy"], r["n"], spec, r["ci_low"], r["ci_high"])
                         for _, r in overall.iterrows()])


def write_results(run_dir: str | Path) -> Path:
    """Tables, metrics and report of a compare-samplers run, from its records alone."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    config = SamplingConfig(**manifest["config"])
    records = read_records(run_dir)
    prompts = pd.read_parquet(run_dir / "prompts.parquet").set_index("id")
    candidates = candidate_table(records)
    defaults = candidate_table(records, "default")
    embedder = SentenceEmbedder()
    contexts = embedder.embed([context_text(conversation(p)) for p in prompts.reset_index().to_dict("records")])
    responses = embedder.embed(candidates["text"].tolist())
    # Features as ``pluralign learn`` makes them: the response, and its interaction with its prompt's context.
    at = prompts.index.get_indexer(candidates["prompt_id"])
    if (at < 0).any():
        raise ValueError(f"{run_dir}: candidates of prompts the run does not hold: "
                         f"{sorted(set(candidates['prompt_id'][at < 0]))[:3]}")
    vectors = interaction_features(responses, contexts[at])
    sets = set_diversity(candidates, responses).merge(
        coverage(candidates, config.margin).rename(columns={c: f"covers_{c}" for c in [*POLES, *AXES, "both"]}), on="set_id")
    sets["sampler"] = sets["set_id"].str.split("|").str[0]
    measures = {c: c for c in sets.columns if c not in ("set_id", "sampler")}
    metrics = disaggregate(sets, measures, [], keys=["sampler"], seed=config.seed)
    results, ceiling, chosen = learnability(candidates, vectors, config)
    people = pd.concat([annotator_positions(part, seed=config.seed).assign(sampler=s) for s, part in chosen.groupby("sampler")])
    versus = pd.DataFrame([{"sampler": s, **humans_versus_models(part, defaults)} for s, part in people.groupby("sampler")])
    judge = pole_accuracy(pd.DataFrame([r for r in records if r["stage"] == "judge-check"]), config.seed)
    for name, table in (("candidates", candidates), ("defaults", defaults), ("sets", sets), ("people", people),
                        ("humans_vs_models", versus.drop(columns="model_quadrant")), ("judge_accuracy", judge)):
        table.to_parquet(run_dir / f"{name}.parquet", index=False)
    metrics = pd.concat([metrics, learnability_metrics(results, ceiling, config.seed),
                         _judge_check(judge, config.judge or config.model)], ignore_index=True)
    metrics = write_metrics(run_dir, metrics)
    return write_compare_report(run_dir, manifest, candidates, defaults, people, versus, metrics, judge)


JOB = Job("compare-samplers", SamplingConfig, run_compare_samplers, summarise_comparison, write_results, ITEMS)
