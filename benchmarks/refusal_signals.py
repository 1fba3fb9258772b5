"""Each refusal signal, and the audit's decision from them, on a labelled batch of ``builtin_refusals()``.

The judge (the embedded model unless ``--judge``) is asked about each answer as the audit asks it: the stance
judge's question (refusal is one of its options) and the refusal judge's Yes/No question; and, as the audit's
``judge_check`` stage does, about pluralign's 112 answers of known stance, which say whether it passes
``judge_near_chance`` and so may decide where the phrase and the judge disagree. Prints precision and recall of the
phrase match, of each judge question, of the judge signal (either question), of the decision as the audit makes it,
and of the decision had the judge passed. Batch 4 was written after the phrases last changed and never tuned on.

    PYTHONPATH=src .venv/bin/python benchmarks/refusal_signals.py [--batch 4] [--judge embedded]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from pluralign.audit import core, refusal_match
from pluralign.audit.checks import validated_judges
from pluralign.data import builtin_stances, builtin_statements
from pluralign.data.builtin import builtin_refusals
from pluralign.models.spec import load


def _scores(truth: pd.Series, found: pd.Series) -> str:
    hit = int((truth & found).sum())
    precision = hit / found.sum() if found.sum() else float("nan")
    return f"{precision:.2f} ({hit}/{int(found.sum())}) | {hit / truth.sum():.2f} ({hit}/{int(truth.sum())})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--judge", default="embedded")
    args = parser.parse_args()
    judge = load(args.judge)
    statements = builtin_statements()
    english = dict(zip(statements["id"], statements["text_en"].where(statements["text_en"].notna(), statements["text"])))
    rows = builtin_refusals().query("batch == @args.batch").reset_index(drop=True)
    asked = [core.judge_requests(english[s], t, True, True) for s, t in zip(rows["statement_id"], rows["text"])]
    flat = judge.score([r for rs in asked for r in rs])
    judged = [core.judge_measures(flat[3 * i : 3 * i + 3]) for i in range(len(rows))]
    labelled = builtin_stances()
    check = judge.score([core.judge_request(english[s], t, True) for s, t in zip(labelled["statement_id"], labelled["text"])])
    accuracy = np.mean([core.judge_check_measures(label, s)["correct"] for label, s in zip(labelled["label"], check)])
    validated = bool(validated_judges(pd.DataFrame({"model": args.judge, "correct": [accuracy]})))
    truth = rows["label"] == "refusal"
    phrase = rows["text"].map(refusal_match).notna()
    stance_option = pd.Series([j["judged_stance"] == "refusal" for j in judged])
    yes_no = pd.Series([j["p_refusal_lm"] > 0.5 for j in judged])
    signal = pd.Series([core.refusal_judged(j) for j in judged])

    def decided(passed: bool) -> pd.Series:
        return pd.Series([core.refusal_decision(p, j, passed)[0] for p, j in zip(phrase, signal)])

    print(f"batch {args.batch}: {len(rows)} answers, {int(truth.sum())} refusals; judge {args.judge}: "
          f"{accuracy:.3f} on {len(labelled)} answers of known stance, judge_near_chance "
          f"{'passes' if validated else 'fires'}")
    print("| signal | precision | recall |\n| --- | --- | --- |")
    for name, found in (("phrase match", phrase), ("stance judge's refusal option", stance_option),
                        ("refusal judge (Yes/No)", yes_no), ("judge signal (either question)", signal),
                        ("decision, as the audit makes it", decided(validated)),
                        ("decision, had the judge passed", decided(True))):
        print(f"| {name} | {_scores(truth, found)} |")
    print(f"phrase and judge disagree on {int((phrase != signal).sum())} answers; "
          f"stance judge's options: {pd.Series([j['judged_stance'] for j in judged]).value_counts().to_dict()}")


if __name__ == "__main__":
    main()
