"""The suite answers from a cache of its own run (tests/conftest.py), never from the user's: a cold machine and a
developer's warm one compute the same answers, and commands started by tests share them."""

import subprocess
import sys

from pluralign.models.embedded import cache_dir

ASK = "from pluralign.models.embedded import cache_dir; print(cache_dir())"


def test_tests_and_their_commands_share_one_cache_inside_this_run(answer_cache, tmp_path_factory):
    assert cache_dir() == answer_cache
    assert answer_cache.parent in (tmp_path_factory.getbasetemp(), tmp_path_factory.getbasetemp().parent)
    started = subprocess.run([sys.executable, "-c", ASK], capture_output=True, text=True, check=True)
    assert started.stdout.strip() == str(answer_cache)


def test_converted_weights_are_linked_from_the_users_cache(answer_cache):
    # a run's folder is new (pytest makes one per run), so its answers start empty; weights are not answers
    assert (answer_cache / "models").is_symlink()
    assert not (answer_cache / "models").resolve().is_relative_to(answer_cache.resolve())
