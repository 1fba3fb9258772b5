"""Candidate-set jobs: ``sample`` (sets for a table of prompts, exported as annotation tasks) and
``compare-samplers`` (Community Alignment's experiment: which sampler's sets let a learner find out what people
want?). Sets are generated and judged chunk by chunk into the run's records, so both resume after a crash."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import builtin_value_poles, read_cards
from ..data.axes import AXES, POLES
from ..data.choices import Choices
from ..data.tables import csv_text
from ..embed import Embedder, SentenceEmbedder
from ..errors import InputError
from ..jobs import Job
from ..metrics import check_row, disaggregate, write_metrics
from ..models.base import LanguageModel
from ..models.spec import parse_spec
from ..preferences import BradleyTerry, IdealPoint
from ..preferences.evaluate import PEOPLE_AND_PROMPTS, per_comparison
from ..preferences.features import context_text, interaction_features
from ..runs import (
    Models, Run, chunk_size, fingerprint_table, in_chunks, progress_tasks, public_columns, read_manifest,
    read_records,
)
from ..simulate.value_axes import simulate_value_choices
from .export import to_annotation_tasks
from .judge import ValueJudge, pole_accuracy
from .measures import MARGIN, annotator_positions, coverage, humans_versus_models, oracle_correct, set_diversity
from .prompts import DIVERSE, conversation
from .report import ITEMS, write_compare_report
from .samplers import SAMPLERS, IndependentSampler, MultiModelSampler, NegativelyCorrelatedSampler

CHUNK = 8  # prompts per batch


@dataclass
class SamplingConfig:
    """How candidate sets are made, judged and (for compare-samplers) learned from; recorded in the manifest.

    Args:
        model: the model that samples (and answers by default, for the humans-versus-models comparison).
        samplers: any of independent, negatively-correlated, multi-model.
        models: further specs for the multi-model sampler (with ``model``, one response from each).
        judge: spec of the value judge (default: ``model``).
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


def sampler_for(name: str, config: SamplingConfig, models: dict[str, LanguageModel]):
    """The sampler ``name`` (one of SAMPLERS) with ``config``'s settings over the loaded ``models`` (by spec)."""
    model = models[config.model]
    if name == "independent":
        return IndependentSampler(model, config.k, config.temperature, config.max_tokens, config.chat, config.seed)
    if name == "negatively-correlated":
        return NegativelyCorrelatedSampler(model, config.k, config.temperature, config.max_tokens * config.k,
                                           config.retries, config.chat, config.seed, config.nc_prompt)
    return MultiModelSampler({s: models[s] for s in [config.model, *config.models]}, 0.0, config.max_tokens, config.chat,
                             config.seed)


def generate_sets(prompts: pd.DataFrame, config: SamplingConfig, out: str | Path, job: str, *, fresh: bool = False,
                  progress: bool = True, use_cache: bool = True, models: dict[str, LanguageModel] | None = None,
                  defaults: bool = False) -> Run:
    """Candidate sets of every sampler for every prompt, each candidate placed on the value axes, into a run;
    with ``defaults``, also each model's greedy answer (its default), judged the same way."""
    run = Run(out, job, asdict(config), fingerprint_table(prompts), fresh=fresh, seed=config.seed)
    run.describe_data(data_cards=read_cards(prompts))
    items = public_columns(prompts).to_dict("records")
    target = run.path / "prompts.parquet"
    if not target.exists():
        pd.DataFrame(items).to_parquet(target, index=False)
    opened = Models(run, given=models, use_cache=use_cache, template_from=config.template_from)
    specs = [config.model, *config.models, *([config.judge] if config.judge else [])]
    loaded = {spec: opened(spec) for spec in dict.fromkeys(specs)}
    judge = ValueJudge(loaded[config.judge or config.model], config.chat)
    done = run.done_keys()

    def judged(records: list[dict]) -> list[dict]:
        texts = [c["text"] for r in records for c in r["candidates"]]
        placed = judge.positions(texts).to_dict("records")
        it = iter(placed)
        for r in records:
            for c in r["candidates"]:
                c.update(next(it))
        return records

    with run.recording(), progress_tasks(progress) as tasks:
        for name in config.samplers:
            sampler = sampler_for(name, config, loaded)
            in_chunks(run, done, [f"set|{name}|{p['id']}" for p in items], items, chunk_size(loaded[config.model], CHUNK),
                      lambda block: [{"stage": "set", **r} for r in judged(sampler.sample(block))],
                      tasks.add(f"{name} sets", len(items)))
        if defaults:
            poles = builtin_value_poles().to_dict("records")
            in_chunks(run, done, [f"judge-check|{r['id']}" for r in poles], poles, chunk_size(judge.model, 32),
                      lambda block: [{"stage": "judge-check", **r, **p} for r, p in
                                     zip(block, judge.positions([r["text"] for r in block]).to_dict("records"))],
                      lambda n: None)
            for spec in [config.model, *config.models]:
                default = IndependentSampler(loaded[spec], 1, 0.0, config.max_tokens, config.chat, config.seed)
                in_chunks(run, done, [f"default|{spec}|{p['id']}" for p in items], items,
                          chunk_size(default.model, CHUNK),
                          lambda block: [{"stage": "default", **r, "sampler": spec} for r in judged(default.sample(block))],
                          tasks.add(f"{spec[:20]} default answers", len(items)))
    return run


def candidate_table(records: list[dict], stage: str = "set") -> pd.DataFrame:
    """One row per candidate: sampler, prompt_id, set_id, index, text, source, position on each axis, fallback,
    and the instruction that asked for diverse responses (``nc_prompt``, None for other samplers)."""
    rows = [{"sampler": r["sampler"], "prompt_id": r["prompt_id"], "set_id": f"{r['sampler']}|{r['prompt_id']}",
             "index": i, "fallback": r["fallback"], "attempts": r["attempts"], "nc_prompt": r.get("nc_prompt"), **c}
            for r in records if r["stage"] == stage for i, c in enumerate(r["candidates"])]
    return pd.DataFrame(rows, columns=["sampler", "prompt_id", "set_id", "index", "fallback", "attempts", "nc_prompt",
                                       "text", "source", *AXES])


def run_sample(prompts: pd.DataFrame, config: SamplingConfig, out: str | Path, **options) -> Path:
    """Candidate sets for ``prompts`` into the run ``out``: ``candidates.parquet`` and ``tasks.csv``, the sets as
    annotation tasks in Community Alignment's shape (no choices yet), ready for people to choose from."""
    run = generate_sets(prompts, config, out, "sample", **options)
    candidates = candidate_table(read_records(run.path))
    candidates.to_parquet(run.path / "candidates.parquet", index=False)
    (run.path / "tasks.csv").write_text(csv_text(to_annotation_tasks(candidates, prompts)), encoding="utf-8")
    return run.path


def run_compare_samplers(prompts: pd.DataFrame, config: SamplingConfig, out: str | Path, *,
                         embedder: Embedder | None = None, **options) -> Path:
    """The experiment of Community Alignment, end to end: sets from each sampler for the same prompts, a simulated
    population with ideal points on the value axes choosing among them, estimators trained on those choices and
    evaluated on people and prompts held out. Writes tables, ``metrics.parquet`` and ``report.html``."""
    run = generate_sets(prompts, config, out, "compare-samplers", defaults=True, **options)
    write_compare_results(run.path, embedder)
    return run.path


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
    """The value judge's accuracy on responses of known pole as a check; it has no sampler, so it covers every
    sampler's coverage, spread and learnability."""
    overall = judge[(judge["axis"] == "all") & (judge["language"] == "all")]
    return pd.DataFrame([check_row("value_judge_near_chance", r["accuracy"], r["n"], spec, r["ci_low"], r["ci_high"])
                         for _, r in overall.iterrows()])


def write_compare_results(run_dir: str | Path, embedder: Embedder | None = None) -> Path:
    """Tables, metrics and report of a compare-samplers run, from its records alone."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    config = SamplingConfig(**manifest["config"])
    records = read_records(run_dir)
    prompts = pd.read_parquet(run_dir / "prompts.parquet").set_index("id")
    candidates = candidate_table(records)
    defaults = candidate_table(records, "default")
    embedder = embedder or SentenceEmbedder()
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


SAMPLE = Job("sample", SamplingConfig, run_sample, items=ITEMS)
COMPARE_SAMPLERS = Job("compare-samplers", SamplingConfig, run_compare_samplers, write_compare_results, ITEMS)
