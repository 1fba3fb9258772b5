"""``pluralign.preferences``, learn's name before issue 34, still imports: it warns once, naming the new path, and gives
the very objects of ``pluralign.learn``, so README examples, scripts and installs made before the rename run unchanged.
Each check runs in a fresh interpreter, where nothing has imported either name yet."""

from __future__ import annotations

import json
import subprocess
import sys

OLD_IMPORTS = """
import json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")  # a warning given twice would be recorded twice
    from pluralign.preferences import BradleyTerry, split_choices
    from pluralign.preferences.reward import GroupRewards
    import pluralign.preferences.job as old_job
    from pluralign.preferences.job import LearnConfig
    from importlib.metadata import EntryPoint
    # the entry point an install made before the rename still declares
    stale = EntryPoint(name="learn", value="pluralign.preferences.job:JOB", group="pluralign.jobs").load()
import pluralign.learn, pluralign.learn.job, pluralign.learn.reward
print(json.dumps({
    "warnings": [[w.category.__name__, str(w.message)] for w in caught],
    "same": [BradleyTerry is pluralign.learn.BradleyTerry, split_choices is pluralign.learn.split_choices,
             GroupRewards is pluralign.learn.reward.GroupRewards, old_job is pluralign.learn.job,
             LearnConfig is pluralign.learn.job.LearnConfig, stale is pluralign.learn.job.JOB],
    "spec": pluralign.learn.job.__spec__.name,
}))
"""

NEW_IMPORTS = """
import json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from pluralign.learn import BradleyTerry
    from pluralign.learn.reward import GroupRewards
    from pluralign.jobs import job
    job("learn")
print(json.dumps([str(w.message) for w in caught if "pluralign.preferences" in str(w.message)]))
"""


def _run(code: str):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_old_name_warns_once_naming_the_new_path_and_gives_the_same_objects():
    seen = _run(OLD_IMPORTS)
    assert len(seen["warnings"]) == 1, seen["warnings"]
    category, message = seen["warnings"][0]
    assert category == "DeprecationWarning"
    assert "pluralign.preferences is renamed pluralign.learn" in message
    assert seen["same"] == [True] * 6
    assert seen["spec"] == "pluralign.learn.job"  # the alias never re-imports a module under the old name


def test_the_new_name_and_the_jobs_registry_give_no_warning():
    assert _run(NEW_IMPORTS) == [], "the installed entry points name the old path: reinstall pluralign (make env)"
