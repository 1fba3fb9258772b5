"""A learned reward remembers the embedder its features came from, and refuses to score with another."""

from __future__ import annotations

import json
import shutil

import pytest

from pluralign.embed import SentenceEmbedder
from pluralign.estimators.reward import GroupRewards
from pluralign.runs import RunError, read_manifest

from ..conftest import invoke


def test_a_learn_run_records_its_embedder(reward_run):
    assert read_manifest(reward_run)["embedder"] == SentenceEmbedder().fingerprint


def test_a_reward_learned_on_another_embedder_is_refused_in_one_line(reward_run, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(reward_run, other)
    manifest = read_manifest(other)
    (other / "manifest.json").write_text(json.dumps({**manifest, "embedder": "st:another-model:768"}))
    with pytest.raises(RunError, match="embeddings of st:another-model:768, not on st:"):
        GroupRewards.from_run(other)
    result = invoke("judge", "--reward", str(other), "--model", "embedded", "--against", "llamacpp:embedded",
                    "--limit", "2", "-q", "--out", str(tmp_path / "judged"))
    assert result.returncode == 2 and "st:another-model:768" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
