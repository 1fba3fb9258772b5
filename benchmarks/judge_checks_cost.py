"""What the stance judge's checks cost the audit's long-form stage, on the embedded model (hf backend).

The long-form stage generates an answer per item and asks the judge about it. The checks add, per answer, the same
question with the options in reverse order (scored in the same call, so the shared prefix is computed once), and,
once per model, the judge on pluralign's 112 labelled answers. This times, for a block of 16 items as the audit
runs them: generation; the judge as before (one question per answer); the judge with the order check (two
questions); and the labelled-set check. Median of several runs each, in one process.

    .venv/bin/python benchmarks/judge_checks_cost.py [--runs 3] [--items 16]
"""

from __future__ import annotations

import argparse

from pluralign.audit import core
from pluralign.data import builtin_stances, builtin_statements
from pluralign.models.base import ScoreRequest
from pluralign.models.spec import load

from audit_vs_lm_eval import timed  # benchmarks/ is on the path when a benchmark runs as a script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--items", type=int, default=16)
    args = parser.parse_args()
    model = load("embedded")
    statements = builtin_statements()
    items = core.statement_items(statements).sample(args.items, random_state=0).to_dict("records")
    english = dict(zip(statements["id"], statements["text_en"]))
    generate_s, answers = timed(lambda: model.generate([core.long_form_request(it, True, 96) for it in items]), args.runs)
    asked = [core.judge_requests(english[it["statement_id"]], a[0], True, False) for it, a in zip(items, answers)]
    before_s, _ = timed(lambda: model.score([rs[0] for rs in asked]), args.runs)
    after_s, _ = timed(lambda: model.score([r for rs in asked for r in rs]), args.runs)
    labelled = builtin_stances().assign(statement_en=lambda t: t["statement_id"].map(english))
    check: list[ScoreRequest] = [core.judge_request(s, a, True) for s, a in zip(labelled["statement_en"], labelled["text"])]
    labelled_s, _ = timed(lambda: model.score(check), args.runs)
    block = generate_s + before_s
    print(f"{args.items} items, median of {args.runs} runs (s):")
    print(f"  generation {generate_s:.2f}; judge before {before_s:.2f}; judge with the order check {after_s:.2f}")
    print(f"  order check adds {after_s - before_s:.2f} s = {(after_s - before_s) / block:.1%} of the block's "
          f"generation + judging ({block:.2f} s)")
    print(f"  labelled-set check ({len(check)} answers, once per model and run): {labelled_s:.2f} s")


if __name__ == "__main__":
    main()
