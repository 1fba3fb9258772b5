"""`pluralign learn`: parse, call the learn job, print its accuracy table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import Fresh, RunDir, guarded, out, print_summary
from .datasets import learned_from, warn_restricted

commands = typer.Typer()


@commands.command(epilog="""
**Examples**

    pluralign learn --data simulated --estimator mixture --k 4 --out runs/sim
    pluralign learn --data ca:community_alignment.parquet --estimator ideal --k 4 --group country --out runs/ca
    pluralign learn --data prism:prism-alignment/ --estimator mixture --group gender --out runs/prism
    pluralign learn --data comparisons:choices.jsonl --annotators people.csv --estimator group --group age --out runs/mine
    pluralign learn --data collect:pilot.db --estimator mixture --group political --out runs/pilot
    pluralign learn --data collect:pilot.db --estimator mixture --k 3 --active-replay --out runs/pilot-replay
""")
@guarded
def learn(
    data: Annotated[str, typer.Option(help="ca:FILE (Community Alignment), collect:DB (a `pluralign collect` study), prism:FILE|DIR (PRISM conversations or utterances, or its release folder), comparisons:FILE (long table), trl:FILE (TRL pairwise) or simulated.")],
    out_dir: RunDir = Path("runs/learn"),
    annotators: Annotated[Optional[str], typer.Option(help="Annotator table (CSV, JSONL, Parquet) for comparisons: data; PRISM's survey.jsonl for prism: data outside its folder.")] = None,
    estimator: Annotated[str, typer.Option(help="bt (one reward), group, mixture (latent types) or ideal (personal mixes); auto: mixture, or bt where the data has no annotator ids (no people to tell apart).")] = "auto",
    k: Annotated[int, typer.Option(help="Latent types (mixture) or prototypes (ideal).")] = 4,
    group: Annotated[Optional[str], typer.Option(help="Annotator column to report metrics by (and to condition 'group' on).")] = None,
    fresh: Fresh = False,
    worst_min_n: Annotated[int, typer.Option("--worst-min-n", help="Fewest people (with held-out choices) a group needs to count for the worst group.")] = 20,
    rankings: Annotated[bool, typer.Option(help="Where people ranked every answer (a collect study with rank = true, a 'ranking' column, or PRISM's scores), also learn from each later choice the ranking states (rank-ordered logit); --no-rankings learns from first choices alone. Held-out metrics score first choices either way; with rankings the estimator is fitted again on first choices alone to show what the rankings gain.")] = True,
    seed: Annotated[int, typer.Option(help="Seed of the split, the estimator and the bootstrap.")] = 0,
    active_replay: Annotated[bool, typer.Option("--active-replay", help="Also replay the unseen people's comparisons as if they had been asked actively (each next one chosen by expected information about the person, from those they answered) against a random order, and say how many choices active assignment would have saved (mixture or ideal).")] = False,
    epsilon: Annotated[float, typer.Option(min=0, max=1, help="With --active-replay: the share of tasks active assignment still picks at random.")] = 0.1,
    design_weights: Annotated[bool, typer.Option("--design-weights", help="Where the data records with what probability each comparison was assigned (a collect study, or its comparisons export), weigh each by the inverse (normalised within each assignment reason), so an active study's estimates are the population's rather than the design's. Off by default: with a small epsilon the weights rest on the randomly assigned tenth and cost more accuracy than the bias they remove (docs/methods.md, design weights).")] = False,
) -> None:
    """Learn from annotators who disagree, and measure whom the model serves.

    Embeds each candidate with its context (the embedded MiniLM), holds out whole conversations (the last
    quarter of each person's), a fifth of the prompts and a fifth of the people, fits the estimator, and compares it
    with one shared reward on each of the three: accuracy and log-loss overall, by group and for the worst group
    (of the groups with at least --worst-min-n people; with intervals), calibration, and accuracy on unseen people
    after 0, 5, 10 and 20 of their choices. With --active-replay, the same unseen people's accuracy after each
    number of choices asked in a random order and asked actively (active_replay.parquet).
    """
    from ..learn.job import LearnConfig, run_learn

    config = LearnConfig(data=data, annotators=annotators, estimator=estimator, k=k, group=group,
                         worst_min_n=worst_min_n, rankings=rankings, seed=seed, active_replay=active_replay,
                         epsilon=epsilon, design_weights=design_weights)
    print_summary(run_learn(config, out_dir, fresh=fresh))


@commands.command("export-pairs", epilog="""
**Examples**

    pluralign learn --data collect:pilot.db --estimator mixture --k 3 --out runs/pilot
    pluralign export-pairs --reward runs/pilot --out pilot-pairs.jsonl

Then, in Python: `datasets.load_dataset("json", data_files="pilot-pairs.jsonl")` and TRL's `DPOTrainer` or
`RewardTrainer`; filter on `type` (or a person's column) to train toward one type's or group's choices.
""")
@guarded
def export_pairs(
    reward: Annotated[Path, typer.Option(help="A `pluralign learn` run on texts.")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="File to write (.jsonl, .csv or .parquet).")],
    force: Annotated[bool, typer.Option(help="Replace OUT if it exists.")] = False,
) -> None:
    """Write the comparisons a learn run learned from in TRL's pairwise shape (prompt, chosen, rejected), each
    person's columns kept, and for a mixture or ideal-point run each person's weight on every type or prototype and
    the heaviest one (`type`)."""
    from ..collect.export import write_export
    from ..estimators.reward import trl_pairs

    table = trl_pairs(reward)
    warn_restricted(learned_from(reward))
    write_export(table, out_file, force)
    out.print(f"{len(table)} pairs → {out_file}", highlight=False)
