"""The lowest transformers that pyproject.toml allows runs the transformers backend and gives the same numbers.

transformers renames arguments between 5.x releases (a GPU machine with 5.17 broke on code written for 5.24), and
scoring runs its own attention through transformers' attention interface; so the floor is installed beside the suite's own (into a folder put first on
the path of a fresh process: its tokenizers and huggingface-hub too, the newest that floor accepts) and the same
scores and greedy texts are asked of both. This needs PyPI, as ``make test`` does; pip's cache keeps it quick.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version

from pluralign.models.base import GenerateRequest, ScoreRequest

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
CHECK = """
import json, transformers
from pluralign.models import load
from pluralign.models.base import GenerateRequest, ScoreRequest
model = load("embedded")
print(json.dumps({"version": transformers.__version__,
                  "scores": model.score([ScoreRequest(c, tuple(x)) for c, x in json.loads(%r)]),
                  "texts": model.generate([GenerateRequest(p, max_tokens=16) for p in json.loads(%r)])}))
"""
CONTEXTS = [("The capital of France is", [" Paris", " Rome"]),
            ([{"role": "user", "content": "Is the sky blue? Answer Yes or No."}], ["Yes", "No"])]
PROMPTS = ["Name three colours:", [{"role": "user", "content": "Say hello in French."}]]


def test_the_lowest_transformers_allowed_gives_the_same_scores_and_texts(tmp_path, hf_model):
    floor = re.search(r'"transformers>=([0-9.]+)"', PYPROJECT.read_text()).group(1)
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                              "--no-deps", "--target", str(tmp_path), f"transformers=={floor}",
                              "tokenizers>=0.22,<=0.23.0", "huggingface-hub>=1.3,<2"], capture_output=True, text=True)
    if install.returncode and "Could not find a version" in install.stderr + install.stdout:
        pytest.fail(f"transformers=={floor} is not installable: raise the floor in pyproject.toml\n{install.stderr}")
    assert install.returncode == 0, install.stderr
    run = subprocess.run([sys.executable, "-c", CHECK % (json.dumps(CONTEXTS), json.dumps(PROMPTS))],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert Version(found["version"]) == Version(floor)
    ours = hf_model.score([ScoreRequest(c, tuple(x)) for c, x in CONTEXTS])
    assert sum(found["scores"], []) == pytest.approx(sum(ours, []), abs=1e-4)
    assert found["texts"] == hf_model.generate([GenerateRequest(p, max_tokens=16) for p in PROMPTS])
