"""Bad input: one line naming the problem, exit code 2, no traceback, through the entry point a user runs (a process
of its own: ``run_cli``), where libraries' own logging would reach stderr too."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import pytest
import typer

from pluralign.cli.app import app
from pluralign.cli.common import guarded

from .conftest import run_cli

GOOD = {"id": "a", "text": "Taxes are good.", "language": "en", "topic": "welfare"}


def _jsonl(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


CASES = {
    "missing column": ([{"id": "a", "text": "x", "language": "en"}], "column 'topic': missing required column"),
    "unknown language": ([{**GOOD, "language": "klingon"}], "unknown language code 'klingon'"),
    "empty statement": ([{**GOOD, "text": ""}], "column 'text': empty value"),
    "malformed json": ([GOOD, '{"id": "b", "text": '], "row 2: malformed JSON line"),
    "wrong type": ([{**GOOD, "labels": 7}], "column 'labels': expected a list"),
    "duplicate ids": ([GOOD, GOOD], "row 2, column 'id': duplicate id 'a'"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_statements_file(tmp_path, case):
    rows, message = CASES[case]
    path = _jsonl(tmp_path / "statements.jsonl", rows)
    result = run_cli("audit", "--statements", str(path), "--out", str(tmp_path / "run"), "-q")
    assert result.returncode == 2
    assert message in result.stderr
    assert str(path) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreadable_file(tmp_path):
    path = tmp_path / "statements.csv"
    path.write_bytes(b"id,text\n\xff\xfe\x00bad")
    result = run_cli("audit", "--statements", str(path), "--out", str(tmp_path / "run"), "-q")
    assert result.returncode == 2 and "not UTF-8" in result.stderr and "Traceback" not in result.stderr


def test_missing_file(tmp_path):
    result = run_cli("audit", "--statements", str(tmp_path / "nope.csv"), "-q")
    assert result.returncode == 2 and "no such file" in result.stderr


def test_unknown_model_spec(tmp_path):
    result = run_cli("audit", "--model", "gpt-17", "--out", str(tmp_path / "run"), "-q")
    assert result.returncode == 2
    assert "unknown model spec 'gpt-17'" in result.stderr and "Traceback" not in result.stderr


def test_missing_gguf_file(tmp_path):
    result = run_cli("audit", "--model", f"llamacpp:{tmp_path / 'none.gguf'}", "--out", str(tmp_path / "run"), "-q")
    assert result.returncode == 2 and "no GGUF file" in result.stderr


def test_report_of_a_directory_that_is_no_run(tmp_path):
    result = run_cli("report", str(tmp_path))
    assert result.returncode == 2 and "not a pluralign run" in result.stderr


def test_help_teaches_with_examples():
    result = run_cli("audit", "--help")
    assert result.returncode == 0
    assert "Examples" in result.stdout and "--fresh" in result.stdout


def _callbacks(commands: typer.Typer, prefix: str = "") -> dict[str, Callable]:
    """Every command of ``commands`` and of its sub-apps (``collect ...``), by the name a user types."""
    found = {prefix + (info.name or info.callback.__name__.replace("_", "-")): info.callback
             for info in commands.registered_commands}
    for group in commands.registered_groups:
        found.update(_callbacks(group.typer_instance, f"{prefix}{group.name} "))
    return found


def test_every_command_is_guarded():
    wrapper = guarded(lambda: None).__code__  # every guarded command runs this same code around its own
    callbacks = _callbacks(app)
    assert {"audit", "learn", "report", "metrics", "models", "collect serve"} <= set(callbacks)
    assert [name for name, callback in callbacks.items() if callback.__code__ is not wrapper] == []


BUGGY = """
from pathlib import Path
from typing import Optional

import typer

from pluralign.cli.app import app
from pluralign.cli.common import guarded


@app.command()
@guarded
def buggy(out_dir: Optional[Path] = typer.Option(None, "--out")) -> None:
    {}["x"]


app(prog_name="pluralign")
"""


@pytest.mark.parametrize("in_a_run", [False, True], ids=["no run", "in a run"])
def test_a_bug_is_one_line_naming_it_and_where_its_traceback_is(tmp_path, in_a_run):
    script = tmp_path / "buggy.py"
    script.write_text(BUGGY)
    run = tmp_path / "run"
    if in_a_run:
        run.mkdir()
        (run / "manifest.json").write_text('{"job": "audit"}')
    result = subprocess.run([sys.executable, str(script), "buggy", "--out", str(run)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: internal error (a bug in pluralign): KeyError: 'x'; the full traceback is in ")
    saved = Path(line.rsplit(" ", 1)[1])
    assert saved == run / "error.log" if in_a_run else saved.parent == Path(tempfile.gettempdir())
    log = saved.read_text()
    assert "Traceback" in log and '{}["x"]' in log and "buggy --out" in log
    if not in_a_run:
        saved.unlink()


def test_brackets_in_a_message_are_printed_as_written(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('name = "gate"\n')
    result = run_cli("check", str(policy), str(tmp_path))
    assert result.returncode == 2
    assert "no rules ([[rule]] tables in TOML" in result.stderr


def test_a_warning_prints_as_one_note_line(capsys):
    import warnings

    @guarded
    def noisy() -> None:
        warnings.warn("12 of 40 texts were cut short")

    noisy()
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line == "note: 12 of 40 texts were cut short"
    with pytest.warns(UserWarning):  # outside a command, warnings are Python's again
        warnings.warn("outside")


HEAVY = ("torch", "transformers", "sentence_transformers", "vllm", "trl", "llama_cpp")
STARTUP = """
import json, sys
from pluralign.cli.app import app

def imported_after(*args):
    try:
        app(list(args), prog_name="pluralign")
    except SystemExit as exit:
        code = exit.code
    return code, sorted(m for m in HEAVY if m in sys.modules)

HEAVY = {heavy}
help_code, help_heavy = imported_after("--help")
found = {{"--help": [help_code, help_heavy + (["pandas"] if "pandas" in sys.modules else [])]}}
for args in {commands}:
    found[" ".join(args[:2])] = imported_after(*args)
print(json.dumps(found))
"""


def test_help_and_refused_input_never_import_a_model_library(tmp_path):
    """`pluralign --help` (which imports no pandas either) and each capability's refusal of a bad input, run one after
    another in one fresh process, import none of torch, transformers, sentence-transformers, vLLM, TRL or llama.cpp:
    a user waits well under a second for them instead of several, and every process of this suite that stops on its
    input pays no model library. Each command is checked right after it runs, so a failure names the command that
    imported one."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "language": "en"}\n')
    policy = tmp_path / "policy.toml"
    policy.write_text('name = "gate"\n')
    out, no_run = str(tmp_path / "out"), str(tmp_path)
    commands = [
        ["audit", "--help"],
        ["audit", "--statements", str(bad), "--out", out, "-q"],
        ["audit", "--model", "gpt-17", "--out", out, "-q"],
        ["report", no_run],
        ["check", str(policy), no_run],
        ["values", "--situations", str(bad), "--out", out, "-q"],
        ["sample", "--prompts", str(bad), "--out", out, "-q"],
        ["learn", "--data", f"comparisons:{bad}", "--out", out],
        ["export-pairs", "--reward", no_run, "--out", out],
        ["judge", "--reward", no_run, "--model", "embedded", "--against", "llamacpp:embedded", "--out", out, "-q"],
        ["align", "--target", "max-min", "--reward", no_run, "--out", out, "-q"],
        ["collect", "invite", str(policy)],
    ]
    script = STARTUP.format(heavy=HEAVY, commands=commands)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {"--help": [0, []], "audit --help": [0, []],
                     **{" ".join(args[:2]): [2, []] for args in commands[1:]}}, result.stderr
