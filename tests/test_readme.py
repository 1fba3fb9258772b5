"""README's tour runs as written: every command of "The command line" and every Python example of the tour,
on the embedded models, in a scratch directory. A command that needs a file the reader brings (their CIVICS copy,
their own statements) or that serves until stopped is named below with why it is not run here; any other line
added to the tour is run by this test."""

from __future__ import annotations

import contextlib
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import invoke

README = Path(__file__).resolve().parents[1] / "README.md"
NOT_RUN = {
    "civics.csv": "the reader's copy of CIVICS",
    "mine.jsonl": "the reader's own statements",
    "pluralign view": "serves until stopped (tests/viewer runs it)",
}
# Examples that run in a process of their own, and why; the others run in the test's process.
OWN_PROCESS = {
    "from trl ": "TRL's trainer seeds the random generators of the process it trains in and sets up accelerate's "
                 "process-wide state, which every later test of this process would inherit",
}


def _tour() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## A five-minute tour"):text.index("\n## ", text.index("## A five-minute tour") + 1)]


def _blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def _commands() -> list[str]:
    block = _tour().split("### The command line", 1)[1]
    lines = [line.split("  #", 1)[0].strip() for line in _blocks(block, "bash")[0].splitlines()]
    return [line for line in lines if line.startswith("pluralign ")]


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=1800)


def test_the_tour_has_commands_and_examples():
    assert len(_commands()) >= 10
    assert len(_blocks(_tour(), "python")) >= 3


@pytest.mark.slow
def test_the_command_line_tour_runs_as_written(tmp_path):
    """The first command runs as a reader runs it, a process through the entry point; the others run in this process,
    which spares each its own start: imports of torch and transformers and the model library (benchmarks/RESULTS.md)."""
    first, *rest = [c for c in _commands() if not any(marker in c for marker in NOT_RUN)]
    result = _run([sys.executable, "-m", "pluralign", *shlex.split(first)[1:]], tmp_path)
    assert result.returncode == 0, f"{first}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    for command in rest:
        result = invoke(*shlex.split(command)[1:], cwd=tmp_path)
        assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert (tmp_path / "runs" / "quick" / "report.html").exists()


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(_blocks(_tour(), "python"))))
def test_each_python_example_runs_as_written(tmp_path, index):
    """An example runs in this process, as a fresh module (``__main__``, globals of its own) in the scratch folder:
    that spares it a new interpreter's imports and model load (6-9 CPU s each for the audit and value-map examples,
    benchmarks/RESULTS.md); an exception it raises fails the test with its traceback. What only a new
    interpreter would catch, and this does not: an example that works only because this process imported or set up
    something first that the example itself does not. One that would leave state behind for later tests
    (``OWN_PROCESS``) runs as ``python -c``."""
    code = _blocks(_tour(), "python")[index]
    if any(marker in code for marker in OWN_PROCESS):
        result = _run([sys.executable, "-c", code], tmp_path)
        assert result.returncode == 0, f"example {index + 1}:\n{code}\n{result.stderr[-3000:]}"
        return
    with contextlib.chdir(tmp_path):
        exec(compile(code, f"<README example {index + 1}>", "exec"), {"__name__": "__main__"})
