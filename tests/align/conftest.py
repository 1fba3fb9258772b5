"""Rewards learned from people who disagree (one run, and one of other people), shared by the judge and align tests."""

from __future__ import annotations

import json

import pytest

TRADITIONAL = ["Keep the customs of your family.", "Respect your elders and their ways.",
               "Follow the faith you were raised in.", "Honour the traditions of your country."]
LIBERAL = ["Choose your own path in life.", "Question authority and think for yourself.",
           "Live as you want, not as others expect.", "Personal freedom matters most."]


def learned_sides(folder, prefix: str, people: int):
    """A learn run (group estimator, group ``side``) in ``folder/run`` of ``people`` people named ``<prefix><i>``, 16
    choices each: the even ones (traditional) always pick the traditional answer, the odd ones (liberal) the liberal
    one. The learn job runs in this process (the tests read the run, not the command's output), sparing a process
    that would spend 7 of its 8 CPU seconds importing torch and loading the embedder."""
    from pluralign.learn.job import LearnConfig, run_learn

    rows = []
    for person in range(people):
        for i in range(16):
            pair = [TRADITIONAL[i % 4], LIBERAL[(i // 4) % 4]]
            candidates = [pair[i % 2], pair[1 - i % 2]]
            rows.append({"annotator_id": f"{prefix}{person}", "context": "How should I live?", "candidates": candidates,
                         "chosen": candidates.index(pair[person % 2])})
    (folder / "choices.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "people.csv").write_text("annotator_id,side\n" + "".join(
        f"{prefix}{p},{'traditional' if p % 2 == 0 else 'liberal'}\n" for p in range(people)))
    run_learn(LearnConfig(data=f"comparisons:{folder / 'choices.jsonl'}", annotators=str(folder / "people.csv"),
                          estimator="group", group="side"), folder / "run", progress=False)
    return folder / "run"


@pytest.fixture(scope="session")
def reward_run(tmp_path_factory):
    """A group reward learned from 24 people: the traditional half always picks the traditional answer, the liberal
    half the liberal one."""
    return learned_sides(tmp_path_factory.mktemp("reward"), "p", 24)


@pytest.fixture(scope="session")
def other_people_run(tmp_path_factory):
    """The same group reward learned from 10 other people (q0 ... q9), for an independent evaluation."""
    return learned_sides(tmp_path_factory.mktemp("other-people"), "q", 10)
