"""The learn job: load comparisons, embed candidates, fit an estimator, evaluate it on unseen conversations, unseen
prompts and people never seen in training, against one shared reward, and keep it all in a run directory."""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.choices import Choices
from ..metrics import write_metrics
from ..report.learn import write_learn_report
from ..runs import Run
from .bradley_terry import BradleyTerry, GroupBradleyTerry
from .describe import distinctive_candidates
from .evaluate import evaluate, split_choices, unseen_learning_curve
from .latent import IdealPoint, MixtureBradleyTerry

ESTIMATORS = {"bt": "BradleyTerry", "group": "GroupBradleyTerry", "mixture": "MixtureBradleyTerry", "ideal": "IdealPoint"}


@dataclass
class LearnConfig:
    """What a learn run does; recorded in its manifest.

    Args:
        data: ``ca:FILE`` (Community Alignment's wide file), ``comparisons:FILE`` (our long table),
            ``trl:FILE`` (TRL pairwise, extra columns as annotator metadata) or ``simulated`` (a population with
            known types, no embedding needed).
        annotators: annotator table for ``comparisons:`` data.
        estimator: bt, group, mixture or ideal; k: types or prototypes; group: the annotator column that groups
            metrics (and GroupBradleyTerry).
        test_share, prompt_share, unseen_share: what ``split_choices`` holds out: a share of each seen person's
            conversations, of the prompts, and of the people.
        worst_min_n: the fewest people (with held-out choices) a group needs to count for the worst group.
    """

    data: str
    annotators: str | None = None
    estimator: str = "mixture"
    k: int = 4
    group: str | None = None
    test_share: float = 0.25
    prompt_share: float = 0.2
    unseen_share: float = 0.2
    worst_min_n: int = 20
    shots: list[int] = field(default_factory=lambda: [0, 5, 10, 20])
    seed: int = 0

    def __post_init__(self) -> None:
        if self.estimator not in ESTIMATORS:
            raise ValueError(f"unknown estimator {self.estimator!r}; choose from {', '.join(ESTIMATORS)}")
        if not (self.data == "simulated" or self.data.startswith(("ca:", "prism:", "comparisons:", "trl:"))):
            raise ValueError(f"--data takes ca:FILE, prism:FILE|DIR, comparisons:FILE, trl:FILE or simulated, got {self.data!r}")


def _estimator(config: LearnConfig):
    return {"bt": lambda: BradleyTerry(), "group": lambda: GroupBradleyTerry(),
            "mixture": lambda: MixtureBradleyTerry(n_types=config.k, random_state=config.seed),
            "ideal": lambda: IdealPoint(n_prototypes=config.k, random_state=config.seed)}[config.estimator]()


@dataclass
class LearnData:
    """What a learn run learns from: the choices, a fingerprint of the data, each candidate's text (row for row with
    the features; None for simulated data) and, for simulated data, each annotator's true type."""

    choices: Choices
    fingerprint: str
    texts: list[str] | None = None
    true_types: pd.DataFrame | None = None


def load_choices(config: LearnConfig) -> LearnData:
    """The configured data, embedded and laid out as Choices."""
    if config.data == "simulated":
        from ..simulate import simulate_population

        population = simulate_population(random_state=config.seed)
        return LearnData(population.choices, f"simulated-{config.seed}", true_types=population.annotators)
    from ..embed import SentenceEmbedder
    from .features import candidate_texts, comparison_choices

    comparisons, annotators = load_comparison_data(config.data, config.annotators)
    digest = hashlib.sha256()
    for p in filter(None, [config.data.partition(":")[2], config.annotators]):
        for file in sorted(Path(p).glob("*.jsonl")) if Path(p).is_dir() else [Path(p)]:
            digest.update(file.read_bytes())
    texts = candidate_texts(comparisons)
    return LearnData(comparison_choices(comparisons, SentenceEmbedder(), annotators, config.group),
                     digest.hexdigest()[:16], texts)


def load_comparison_data(data: str, annotators: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The comparison and annotator tables of ``ca:FILE``, ``prism:FILE|DIR`` (+ survey), ``trl:FILE`` or
    ``comparisons:FILE`` (+ annotators)."""
    from ..data import load_community_alignment, load_comparisons, load_prism, load_trl_pairwise

    kind, _, path = data.partition(":")
    if kind == "ca":
        return load_community_alignment(path)
    if kind == "trl":
        return load_trl_pairwise(path)
    if kind == "comparisons":
        return load_comparisons(path, annotators)
    if kind == "prism":
        return load_prism(path, annotators)
    raise ValueError(f"comparison data is ca:FILE, prism:FILE|DIR, comparisons:FILE or trl:FILE, got {data!r}")


def run_learn(config: LearnConfig, out: str | Path, fresh: bool = False) -> Path:
    """Fit, evaluate and save; writes ``metrics.parquet`` (model, split, metric, grouping, group, value, interval,
    n), ``learning_curve.parquet``, ``model.npz``, ``distinctive.parquet`` (what each type or prototype prefers,
    for data with texts), ``report.html`` and the manifest to ``out``."""
    data = load_choices(config)
    choices, texts = data.choices, data.texts
    if config.estimator == "group" and choices.group is None:
        raise ValueError("the group estimator needs --group COLUMN (a column of the annotator table)")
    run = Run(out, "learn", asdict(config), data.fingerprint, fresh=fresh, seed=config.seed)
    split = split_choices(choices, test_share=config.test_share, prompt_share=config.prompt_share,
                          unseen_share=config.unseen_share, random_state=config.seed)
    model = _estimator(config).fit(split.train)
    baseline = BradleyTerry().fit(split.train)
    tables = []
    for name, fitted in ((ESTIMATORS[config.estimator], model), ("BradleyTerry (one reward)", baseline)):
        for part, held in (("unseen conversations", split.conversations), ("unseen prompts", split.prompts),
                           ("unseen people, 0-shot", split.unseen)):
            if len(held):
                tables.append(evaluate(fitted, held, seed=config.seed, min_n=config.worst_min_n)
                              .assign(model=name, split=part))
            elif fitted is model:
                warnings.warn(f"the split '{part}' is empty for this data (see docs/methods.md#learn-splits); "
                              "its rows are left out", stacklevel=2)
    if data.true_types is not None and isinstance(model, (MixtureBradleyTerry, IdealPoint)):
        tables.append(type_recovery(model, data.true_types).assign(model=ESTIMATORS[config.estimator], split="training people"))
    metrics = pd.concat(tables, ignore_index=True)
    write_metrics(run.path, metrics)
    curve = None
    if hasattr(model, "adapt") and len(split.unseen):
        curve = unseen_learning_curve(model, split.unseen, config.shots, config.test_share)
        curve = curve if len(curve) else None
        if curve is not None:
            curve.to_parquet(run.path / "learning_curve.parquet", index=False)
    model.save(run.path / "model.npz")
    distinctive = None
    if texts is not None and isinstance(model, (MixtureBradleyTerry, IdealPoint)):
        distinctive = distinctive_candidates(model, choices.features, texts)
        distinctive.to_parquet(run.path / "distinctive.parquet", index=False)
    run.set_status("complete")
    write_learn_report(run.path, run.manifest, metrics, curve, _type_sizes(model), distinctive)
    return run.path


def _type_sizes(model) -> pd.DataFrame | None:
    """Share of annotators per latent type, or average weight per prototype; None for one-reward models."""
    if isinstance(model, MixtureBradleyTerry):
        return pd.DataFrame({"name": [f"type {i}" for i in range(len(model.proportions_))], "share": model.proportions_})
    if isinstance(model, IdealPoint):
        mean_mix = model._mixing(model.annotators_).mean(0)
        return pd.DataFrame({"name": [f"prototype {i}" for i in range(len(mean_mix))], "share": mean_mix})
    return None


def type_recovery(model: MixtureBradleyTerry | IdealPoint, truth: pd.DataFrame) -> pd.DataFrame:
    """Adjusted Rand index between the true types of the people seen in training and the type (or dominant
    prototype) the model gives them: 1 = recovered exactly, 0 = no better than chance."""
    from sklearn.metrics import adjusted_rand_score

    seen = truth[np.isin(truth["annotator"], model.annotators_)]
    recovered = model._mixing(seen["annotator"].to_numpy()).argmax(1)
    return pd.DataFrame([{"metric": "type_recovery_ari", "grouping": "overall", "group": "all",
                          "value": adjusted_rand_score(seen["type"], recovered), "n": len(seen)}])
