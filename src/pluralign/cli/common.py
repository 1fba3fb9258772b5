"""What every command shares: its options, declared once, the two consoles, the one error decorator, and the
printing of fired checks."""

from __future__ import annotations

import functools
import sys
import tempfile
import traceback
import warnings
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Callable, NoReturn, Optional, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .. import __version__
from ..errors import InputError
from ..models.base import ModelError

if TYPE_CHECKING:  # only hints: `pluralign --help` and a refused option never import pandas (about 0.4 CPU s)
    import pandas as pd

    from ..jobs import Summary

# Options that mean the same in every command that takes them. The default is each command's own.
RunDir = Annotated[Path, typer.Option("--out", "-o", help="Run directory.")]
Fresh = Annotated[bool, typer.Option(
    help="Start again: the old run directory is kept aside with a timestamp, never deleted.")]
Cache = Annotated[bool, typer.Option(help="Reuse model answers from the response cache.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
Chat = Annotated[bool, typer.Option(help="Use each model's chat template (--no-chat for base models).")]
TemplateFrom = Annotated[Optional[str], typer.Option(help="For openai: specs, the tokenizer (embedded, hub id or dir) "
                                                           "whose chat template renders chat prompts for scoring.")]
Samples = Annotated[int, typer.Option(help="Sampled candidate lists per value map, besides one greedy list.")]
ColumnMap = Annotated[list[str], typer.Option(
    "--map", help="Column mapping OURS=THEIRS for files with other column names, e.g. --map text=sentence.")]

err = Console(stderr=True)
out = Console()
P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` as one red line on stderr (its lines joined, its brackets shown as written rather than read
    as rich markup) and exit with ``code``."""
    line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    err.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def column_mapping(pairs: list[str]) -> dict[str, str]:
    """--map OURS=THEIRS (repeated) -> {ours: theirs}."""
    bad = [p for p in pairs if "=" not in p]
    if bad:
        raise InputError(f"--map takes OURS=THEIRS, got {bad[0]!r}")
    return dict(p.split("=", 1) for p in pairs)


def source_of(path: Optional[Path], suite: Optional[str], option: str, builtin: str) -> Path | str:
    """The data source that a command's FILE ``option`` and --suite name: the file when given, else the built-in
    suite (``builtin`` says what it is, for the error on any other suite)."""
    if path is not None:
        return path
    if suite in (None, "builtin"):
        return "builtin"
    raise InputError(f"unknown suite {suite!r}; {builtin}, or give {option} FILE")


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that a user never sees a traceback: bad input (an ``InputError``: a data file, option,
    policy, study, run or model spec) is one line and exit 2, a model that fails mid-run one line and exit 1, Ctrl-C
    how to resume and exit 130, and any other exception, a bug in pluralign, one line naming it and the file that
    holds its traceback, exit 1. A warning (data left out, texts cut short, a library's notice) prints as one
    ``note:`` line, not as Python's file, line and category."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with warnings.catch_warnings():
                warnings.showwarning = lambda message, *_, **__: note(str(message))
                return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except InputError as exc:
            fail(str(exc))
        except ModelError as exc:
            fail(str(exc), 1)
        except KeyboardInterrupt:
            fail("interrupted; finished items are saved, rerun the same command to resume", 130)
        except Exception as exc:
            saved = save_traceback(kwargs.get("out_dir") or kwargs.get("run"))
            fail(f"internal error (a bug in pluralign): {type(exc).__name__}: {exc}; the full traceback is in {saved}", 1)

    return run


def save_traceback(run_dir: Path | None) -> Path:
    """Write the traceback being handled, with the command line that led to it, to ``error.log`` in ``run_dir``
    when that holds a run (appended: a resumed run keeps the earlier ones), else to a new temporary file that is
    kept for the bug report; return where it went."""
    text = (f"{datetime.now().isoformat(timespec='seconds')} pluralign {__version__}: {' '.join(sys.argv)}\n"
            f"{traceback.format_exc()}\n")
    if run_dir is not None and (Path(run_dir) / "manifest.json").is_file():
        try:
            with (Path(run_dir) / "error.log").open("a", encoding="utf-8") as log:
                log.write(text)
            return Path(run_dir) / "error.log"
        except OSError:
            pass  # a read-only run directory: the temporary file below still keeps it
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", prefix="pluralign-error-", suffix=".log",
                                     delete=False) as log:
        log.write(text)
    return Path(log.name)


def note(message: str) -> None:
    """One yellow line on stderr that tells the user something about their run without stopping it."""
    err.print(f"[yellow]note:[/] {message}", highlight=False, soft_wrap=True)


def show_progress(quiet: bool) -> bool:
    """Progress bars unless --quiet, and only on a terminal (a log file would fill with redraws)."""
    return not quiet and sys.stderr.isatty()


def print_table(title: str, rows: pd.DataFrame) -> None:
    """A small table of text cells under its title."""
    table = Table(title=title)
    for column in rows.columns:
        table.add_column(str(column))
    for row in rows.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    out.print(table)


def print_summary(summary: Summary) -> None:
    """What a job's summary says: its notes on stderr, then its tables, its lines and the degeneracy checks that
    fired on stdout."""
    for message in summary.notes:
        note(message)
    for title, rows in summary.tables.items():
        print_table(title, rows)
    for line in summary.lines:
        out.print(line, highlight=False)
    print_checks(summary.path)


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
