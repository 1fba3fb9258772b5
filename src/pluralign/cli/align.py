"""`pluralign judge`: parse, call the judge job, print each reward's verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.table import Table

from .common import Cache, Chat, Fresh, Quiet, RunDir, TemplateFrom, guarded, out, show_progress

commands = typer.Typer()


@commands.command(epilog="""
**Examples**

    pluralign learn --data collect:pilot.db --estimator mixture --k 3 --out runs/pilot
    pluralign judge --reward runs/pilot --model hf:./tuned --against embedded --prompts builtin --out runs/judged
    pluralign judge --reward runs/ca --model vllm:meta-llama/Llama-3.1-8B-Instruct --against openai:http://127.0.0.1:8000/v1#base --prompts prompts.csv --limit 200
""")
@guarded
def judge(
    reward: Annotated[Path, typer.Option(help="A `pluralign learn` run on texts: its groups', types' or prototypes' rewards judge the answers.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Model spec A, whose answers are judged.")],
    against: Annotated[str, typer.Option(help="Model spec B, the answers A is compared with (e.g. the model before tuning).")],
    prompts: Annotated[str, typer.Option(help="Prompt source: builtin, or a FILE (CSV, JSONL, Parquet) with id, text, language.")] = "builtin",
    limit: Annotated[Optional[int], typer.Option(help="Judge only the first N prompts.")] = None,
    max_tokens: Annotated[int, typer.Option(help="Tokens per answer.")] = 128,
    chat: Chat = True,
    template_from: TemplateFrom = None,
    out_dir: RunDir = Path("runs/judge"),
    fresh: Fresh = False,
    cache: Cache = True,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    quiet: Quiet = False,
) -> None:
    """Whose preferences do a model's answers satisfy? Both models answer the same prompts (greedy); every reward a
    learn run fitted (per group, latent type or prototype) judges each pair. Prints each reward's win rate of A over
    B, the worst-off reward's (max-min) and the population's (utilitarian), each with a 95% interval that resamples
    prompts; writes answers, verdicts, metrics and a report into the run directory.
    """
    from ..align.judge import JudgeConfig, run_judge

    config = JudgeConfig(reward=str(reward), model=model, against=against, prompts=prompts, limit=limit,
                         max_tokens=max_tokens, chat=chat, template_from=template_from, seed=seed)
    path = run_judge(config, out_dir, fresh=fresh, progress=show_progress(quiet), use_cache=cache)
    metrics = pd.read_parquet(path / "metrics.parquet")
    table = Table(title=f"judge: {model} (A) against {against} (B)")
    for column in ("reward", "win rate of A", "p(prefer A)", "prompts"):
        table.add_column(column)
    for name, part in metrics[metrics.grouping == "reward"].groupby("group", sort=False):
        if set(part.metric) >= {"win_rate", "p_prefer"}:
            table.add_row(name, _cell(part, "win_rate"), _cell(part, "p_prefer"), str(int(part.n.iloc[0])))
    out.print(table)
    for metric in ("maxmin_win_rate", "utilitarian_win_rate"):
        row = metrics[metrics.metric == metric]
        who = f" ({row.group.iloc[0]})" if metric.startswith("maxmin") else ""
        out.print(f"{metric}{who}: {_cell(row, metric)}")
    out.print(f"run: {path}")


def _cell(part: pd.DataFrame, metric: str) -> str:
    row = part[part.metric == metric].iloc[0]
    return f"{row.value:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]"
