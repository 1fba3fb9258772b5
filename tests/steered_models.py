"""A survey scorer built for tests, whose steering the test controls: the audit's steering tests and align's
before-and-after tests read the same one."""

from __future__ import annotations

import numpy as np
import pandas as pd


class SteeredBySurvey:
    """A scorer built for these tests that answers survey questions with a human group's distribution from the
    survey it is given: the steered group's (``follows``), one group's whatever the steer (``like``), or, unsteered
    and with ``ignores``, a fixed distribution of its own; or all on the first option (``first``), or evenly
    (``even``). It reads the steer from the prompt (plain text or chat messages) as a backend would see it: the
    group's name after the options."""

    def __init__(self, survey: pd.DataFrame, behaviour: str, like: str = "age 18-34") -> None:
        self.fingerprint = f"test-steered-{behaviour}"
        self.survey, self.behaviour, self.like = survey, behaviour, like

    def _distribution(self, prompt: str | list[dict]) -> np.ndarray:
        if not isinstance(prompt, str):  # chat messages, as a backend receives them before its template
            prompt = "\n".join(m["content"] for m in prompt)
        question = self.survey[[q in prompt for q in self.survey["question"]]]
        after_options = prompt.split(question["options"].iloc[0][-1], 1)[1]
        steered = [g for g in question["group"] if g in after_options]
        by_group = dict(zip(question["group"], question["distribution"]))
        if self.behaviour == "follows" and steered:
            wanted = by_group[steered[0]]
        elif self.behaviour == "like":
            wanted = by_group[self.like]
        elif self.behaviour in ("first", "even"):  # the first option whatever the question; every option alike
            wanted = np.eye(len(question["options"].iloc[0]))[0] if self.behaviour == "first" else np.ones(2)
        else:  # unsteered, or ignoring the steer: its own answer, near the options' middle
            n = len(question["options"].iloc[0])
            wanted = np.exp(-0.5 * (np.arange(n) - (n - 1) / 2) ** 2)
        wanted = np.asarray(wanted, float) + 1e-6
        return wanted / wanted.sum()

    def score(self, requests):
        out = []
        for r in requests:
            wanted = self._distribution(r.context)
            out.append(np.log(np.resize(wanted, len(r.continuations)) if self.behaviour == "even" else wanted).tolist())
        return out
