"""What every command shares: its options, declared once, the two consoles, the one error decorator, and the
printing of fired checks."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Annotated, Callable, NoReturn, Optional, ParamSpec, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from ..data import DatasetError
from ..models.base import ModelError, ModelSpecError
from ..runs import RunError

# Options that mean the same in every command that takes them. The default is each command's own.
RunDir = Annotated[Path, typer.Option("--out", "-o", help="Run directory.")]
Fresh = Annotated[bool, typer.Option(
    help="Start again: the old run directory is kept aside with a timestamp, never deleted.")]
Cache = Annotated[bool, typer.Option(help="Reuse model answers from the response cache.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
Chat = Annotated[bool, typer.Option(help="Use each model's chat template (--no-chat for base models).")]
TemplateFrom = Annotated[Optional[str], typer.Option(help="For openai: specs, the tokenizer (embedded, hub id or dir) "
                                                           "whose chat template renders chat prompts for scoring.")]
ColumnMap = Annotated[list[str], typer.Option(
    "--map", help="Column mapping OURS=THEIRS for files with other column names, e.g. --map text=sentence.")]

err = Console(stderr=True)
out = Console()
P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one red line on stderr and exit with ``code``."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def column_mapping(pairs: list[str]) -> dict[str, str]:
    """--map OURS=THEIRS (repeated) -> {ours: theirs}."""
    bad = [p for p in pairs if "=" not in p]
    if bad:
        raise ValueError(f"--map takes OURS=THEIRS, got {bad[0]!r}")
    return dict(p.split("=", 1) for p in pairs)


def source_of(path: Optional[Path], suite: Optional[str], option: str, builtin: str) -> Path | str:
    """The data source that a command's FILE ``option`` and --suite name: the file when given, else the built-in
    suite (``builtin`` says what it is, for the error on any other suite)."""
    if path is not None:
        return path
    if suite in (None, "builtin"):
        return "builtin"
    raise ValueError(f"unknown suite {suite!r}; {builtin}, or give {option} FILE")


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that a user never sees a traceback: bad input (a data, run, model-spec or value error) is
    one line and exit 2, a model that fails mid-run one line and exit 1, Ctrl-C how to resume and exit 130."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (DatasetError, RunError, ModelSpecError, ValueError) as exc:
            fail(str(exc))
        except ModelError as exc:
            fail(str(exc), 1)
        except KeyboardInterrupt:
            fail("interrupted; finished items are saved, rerun the same command to resume", 130)

    return run


def with_interval(row) -> str:
    """A metrics row's value and its interval, as the commands print them: ``0.612 [0.580, 0.645]``."""
    return f"{row.value:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]"


def note(message: str) -> None:
    """One yellow line on stderr that tells the user something about their run without stopping it."""
    err.print(f"[yellow]note:[/] {message}", highlight=False, soft_wrap=True)


def show_progress(quiet: bool) -> bool:
    """Progress bars unless --quiet, and only on a terminal (a log file would fill with redraws)."""
    return not quiet and sys.stderr.isatty()


def print_checks(run_dir: Path) -> None:
    """After a run: the degeneracy checks that fired, each with its evidence and what to do (nothing if none did)."""
    from ..metrics import fired, read_metrics

    if (run_dir / "metrics.parquet").exists():
        print_fired(fired(read_metrics(run_dir)))


def print_fired(found: pd.DataFrame) -> None:
    """The fired degeneracy checks as one table, or nothing."""
    if len(found):
        table = Table(title=f"⚠ {len(found)} check(s) fired: these numbers carry no information",
                      title_style="bold yellow", show_lines=True)
        for column in ("check", "run · model · setting", "evidence", "affects", "what to do"):
            table.add_column(column, overflow="fold")
        for f in found.itertuples():
            table.add_row(f.check, " · ".join(filter(None, (f.run, f.model, f.setting))), f.evidence,
                          f.affects or "that group's interval", f.advice)
        out.print(table)
