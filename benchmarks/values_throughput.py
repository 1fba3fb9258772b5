"""Value-map scoring: relevance + valence of 100 candidates of one situation, batched against one call per candidate.

The same LMScorer, the same prompts and the same embedded SmolLM2-135M-Instruct, through the hf backend (fp32
safetensors) and the llama.cpp backend (the packaged GGUF). "batched" is what `pluralign values` does: one
`score` call with all 200 requests of the situation, so the shared prefix (system prompt, worked example,
situation) is computed once; "one by one" calls `score` once per candidate (its 2 requests). Median of several
runs each, in one process; also the largest difference between the two ways' probabilities.

    .venv/bin/python benchmarks/values_throughput.py [--runs 3] [--backends hf,llamacpp]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from pluralign.models.spec import load
from pluralign.values import LMScorer

from audit_vs_lm_eval import timed  # benchmarks/ is on the path when a benchmark runs as a script

SITUATION = "Lying to a friend to protect their feelings"
VALUES = """Honesty; Kindness; Loyalty; Trust; Friendship; Compassion; Integrity; Respect; Autonomy; Fairness; Courage;
Empathy; Truthfulness; Care; Harmony; Sincerity; Transparency; Dignity; Tact; Discretion; Emotional well-being;
Self-respect; Responsibility; Forgiveness; Gratitude; Humility; Patience; Generosity; Reliability; Openness;
Protecting others from harm; Mutual understanding; Authenticity; Peace of mind; Social harmony; Justice; Prudence;
Benevolence; Consideration; Accountability""".replace("\n", " ").split("; ")
RIGHTS = """Right to the truth; Right to make informed decisions; Right to privacy; Right to emotional safety;
Right to be respected; Right to autonomy; Right to honest communication; Right to dignity; Right to be heard;
Right to one's own feelings; Right to accurate information; Right to trust one's friends; Right to self-determination;
Right to fair treatment; Right to freedom of conscience; Right to not be deceived; Right to personal boundaries;
Right to support; Right to well-being; Right to equal respect; Right to be informed about oneself; Right to consent;
Right to choose one's friends; Right to mental health; Right to free expression; Right to protection from harm;
Right to participate in decisions; Right to be treated as an adult; Right to correct mistakes; Right to peace""".replace("\n", " ").split("; ")
DUTIES = """Duty to tell the truth; Duty to protect friends; Duty of care; Duty not to deceive; Duty to be kind;
Duty to respect autonomy; Duty to keep promises; Duty to avoid harm; Duty to be loyal; Duty to support others;
Duty to be fair; Duty to listen; Duty to be transparent; Duty to respect privacy; Duty to help friends grow;
Duty to be considerate; Duty to apologise; Duty to be responsible; Duty to be honest with oneself;
Duty to maintain trust; Duty to respect feelings; Duty to communicate openly; Duty to show compassion;
Duty to protect dignity; Duty to give good advice; Duty to be reliable; Duty to encourage; Duty to forgive;
Duty to be patient; Duty to act in good faith""".replace("\n", " ").split("; ")


def candidates() -> pd.DataFrame:
    rows = [("Value", t) for t in VALUES] + [("Right", t) for t in RIGHTS] + [("Duty", t) for t in DUTIES]
    assert len(rows) == 100, len(rows)
    return pd.DataFrame([(SITUATION, "en", k, t) for k, t in rows], columns=["situation", "language", "kind", "text"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="hf,llamacpp")
    args = parser.parse_args()
    items = candidates()
    print(f"{len(items)} candidates, {2 * len(items)} score requests, median of {args.runs} runs")
    print("| backend | batched s | one by one s | speed-up | candidates/s batched | max |Δp| |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for backend in args.backends.split(","):
        scorer = LMScorer(load({"hf": "embedded", "llamacpp": "llamacpp:embedded"}[backend]))
        scorer.score(items.head(2))  # warm up
        batched_s, batched = timed(lambda: scorer.score(items), args.runs)
        single_s, single = timed(lambda: pd.concat([scorer.score(items.iloc[[i]]) for i in range(len(items))]), args.runs)
        diff = float(np.abs(batched.to_numpy() - single.to_numpy()).max())
        print(f"| {backend} | {batched_s:.2f} | {single_s:.2f} | {single_s / batched_s:.2f}x | {len(items) / batched_s:.1f} | {diff:.1e} |")


if __name__ == "__main__":
    main()
