"""The environments: the lock files agree with pyproject.toml, and pluralign works at the lowest versions it allows.

``make env`` installs ``requirements/main.txt``; ``requirements/floor.txt`` holds the floor, resolved by ``make lock``
with uv's lowest-direct (each direct dependency at the lowest version pyproject.toml allows, with the dependencies
it resolves to). The floor test builds that floor as an environment of its own (cached under pluralign's cache
folder, one per content of floor.txt) and runs in it what depends most on library versions: the transformers
backend's scores and greedy texts (transformers renames arguments between 5.x releases, and scoring runs its own
attention through transformers' attention interface), the GGUF conversion of the embedded model (gguf), and a learn
run whose records and metrics must match its golden files (numpy, pandas, scipy, scikit-learn, pyarrow).
torch is the one dependency not at its floor: the environment takes the CPU build on this machine's disk, since
PyPI's torch for Linux is a CUDA build of several GB.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from pluralign.models.base import GenerateRequest, ScoreRequest
from pluralign.models.embedded import GGUF_PACKAGE, cache_dir

from .conftest import ROOT
from .golden import assert_golden

LOCKS = ROOT / "requirements"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
NOT_AT_FLOOR = {"torch": "the floor environment takes the CPU build on disk (PyPI's is a CUDA build)"}
BUILT_HERE = {"llama-cpp-python": "built from source by the Makefile, for a portable x86-64 level"}

CHECK = """
import json, sys, transformers
from pluralign.models import load
from pluralign.models.base import GenerateRequest, ScoreRequest
contexts, prompts = json.loads(sys.argv[1])
model = load("embedded")
print(json.dumps({"version": transformers.__version__,
                  "scores": model.score([ScoreRequest(c, tuple(x)) for c, x in contexts]),
                  "texts": model.generate([GenerateRequest(p, max_tokens=16) for p in prompts])}))
"""
CONTEXTS = [("The capital of France is", [" Paris", " Rome"]),
            ([{"role": "user", "content": "Is the sky blue? Answer Yes or No."}], ["Yes", "No"])]
PROMPTS = ["Name three colours:", [{"role": "user", "content": "Say hello in French."}]]


def pins(lock: Path) -> dict[str, Version]:
    """Each package a lock file pins, by its canonical name."""
    found = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", lock.read_text(), re.MULTILINE)
    return {canonicalize_name(name): Version(version) for name, version in found}


def requirements(*extras: str) -> list[Requirement]:
    """pyproject.toml's dependencies, and those of the named extras."""
    listed = PROJECT["dependencies"] + [r for extra in extras for r in PROJECT["optional-dependencies"][extra]]
    return [Requirement(r) for r in listed]


def floor(requirement: Requirement) -> Version:
    """The lowest version a requirement allows (every requirement in pyproject.toml states one with >=)."""
    lowest = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    assert lowest, f"{requirement}: pyproject.toml gives every dependency a floor (>=)"
    return lowest[0]


def test_the_main_lock_meets_every_range_pyproject_states():
    locked = pins(LOCKS / "main.txt")
    for requirement in requirements("llamacpp", "test", "align"):
        name = canonicalize_name(requirement.name)
        if name in BUILT_HERE:
            continue
        assert name in locked, f"{name} is not in requirements/main.txt: run `make lock`"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"requirements/main.txt pins {name}=={locked[name]}, outside pyproject.toml's {requirement}: run `make lock`")


def test_the_floor_lock_holds_each_dependency_at_its_floor():
    locked = pins(LOCKS / "floor.txt")
    for requirement in requirements():
        name, lowest = canonicalize_name(requirement.name), floor(requirement)
        if name in NOT_AT_FLOOR:
            continue
        assert locked.get(name) == lowest, (
            f"pyproject.toml allows {name} {lowest}, but requirements/floor.txt has {locked.get(name)}: run `make lock`; "
            f"if uv still resolves {locked.get(name)}, no environment has {name} {lowest} beside the other floors: "
            f"raise the floor in pyproject.toml to {locked.get(name)}")


def test_the_vllm_lock_has_pluralign_s_own_dependencies():
    locked = pins(LOCKS / "vllm.txt")
    missing = [r.name for r in requirements() if canonicalize_name(r.name) not in locked]
    assert not missing, f"requirements/vllm.txt lacks {missing}: run `make lock`"


@pytest.fixture(scope="module")
def floor_python() -> Path:
    """The Python of the floor environment: built from requirements/floor.txt by uv the first time, reused after.

    Its folder is named by the lock's content, so a new floor gets a new environment; a file lock keeps two test
    processes from building it at once, and a marker written last keeps a half-built one from being used.
    """
    from uv import find_uv_bin

    lock = (LOCKS / "floor.txt").read_bytes()
    home = cache_dir() / "floor" / hashlib.sha256(lock + sys.version.encode()).hexdigest()[:16]
    home.parent.mkdir(parents=True, exist_ok=True)
    python, done = home / "bin" / "python", home / ".built"
    uv = find_uv_bin()
    with open(home.parent / ".lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if not done.exists():
            for command in ([uv, "venv", "--quiet", "--clear", "--python", sys.executable, str(home)],
                            [uv, "pip", "sync", "--quiet", "--python", str(python), "--build-constraints",
                             str(LOCKS / "build.txt"), str(LOCKS / "floor.txt")],
                            [uv, "pip", "install", "--quiet", "--no-deps", "--python", str(python), GGUF_PACKAGE]):
                built = subprocess.run(command, capture_output=True, text=True)
                assert built.returncode == 0, f"{' '.join(command[1:3])} failed for the floor environment:\n{built.stderr}"
            done.touch()
        # pluralign itself, from this checkout (it moves between clones; its dependencies do not)
        built = subprocess.run([uv, "pip", "install", "--quiet", "--no-deps", "--python", str(python), "-e", str(ROOT)],
                               capture_output=True, text=True)
        assert built.returncode == 0, built.stderr
    return python


def culprits(traceback: str, python: Path) -> str:
    """Name the floor packages a traceback passes through, with their locked versions: the pins to look at."""
    modules = set(re.findall(r"site-packages/([A-Za-z0-9_]+)", traceback))
    ask = "import importlib.metadata as m, json; print(json.dumps(m.packages_distributions()))"
    owners = json.loads(subprocess.run([str(python), "-c", ask], capture_output=True, text=True).stdout)
    locked, direct = pins(LOCKS / "floor.txt"), {canonicalize_name(r.name) for r in requirements()}
    names = sorted({canonicalize_name(d) for module in modules for d in owners.get(module, [])})
    said = [f"{name}=={locked[name]}" + ("" if name in direct else " (pulled in by another)")
            for name in names if name in locked]
    return ("it fails in " + ", ".join(said) + ": raise that floor in pyproject.toml, then `make lock`") if said \
        else "the traceback passes through no floor package"


def run_at_floor(python: Path, args: list[str], cache: Path) -> str:
    """Run ``python args`` in the floor environment; on failure, say which pins the traceback points at."""
    run = subprocess.run([str(python), *args], capture_output=True, text=True,
                         env={**os.environ, "PLURALIGN_CACHE": str(cache)})
    assert run.returncode == 0, f"at the floor, {culprits(run.stderr, python)}\n{run.stderr[-3000:]}"
    return run.stdout


@pytest.mark.slow
def test_pluralign_at_its_floor_gives_the_same_scores_texts_and_fits(floor_python, hf_model, tmp_path):
    # its own cache folder, kept with the environment: the embedded weights are converted with the floor's gguf
    cache = floor_python.parents[1] / "cache"
    found = json.loads(run_at_floor(floor_python, ["-c", CHECK, json.dumps([CONTEXTS, PROMPTS])], cache)
                       .strip().splitlines()[-1])
    floors = {canonicalize_name(r.name): floor(r) for r in requirements()}
    assert Version(found["version"]) == floors["transformers"]
    ours = hf_model.score([ScoreRequest(c, tuple(x)) for c, x in CONTEXTS])
    assert sum(found["scores"], []) == pytest.approx(sum(ours, []), abs=1e-4)
    assert found["texts"] == hf_model.generate([GenerateRequest(p, max_tokens=16) for p in PROMPTS])

    out = tmp_path / "mixture"
    run_at_floor(floor_python, ["-m", "pluralign", "learn", "--data", "simulated", "--estimator", "mixture", "--k", "2",
                                "--seed", "3", "--out", str(out)], cache)
    assert_golden("learn-mixture", out)
