"""Golden runs: the records and metrics that runs on fixed seeds wrote before a refactor, to show after it that
behaviour did not change (the shape work of issue "One shape for every capability" keeps these equal).

``assert_golden(name, run_dir)`` compares a run's ``records.jsonl`` (when it has one) and ``metrics.parquet`` with
``tests/golden/<name>/``: strings and structure exactly, numbers to a relative 1e-3 (an absolute 1e-4 near 0), and
the ends of intervals to a relative 5e-3 (an absolute 1e-4). Numbers move in the fourth digit without any change of
behaviour: optimisers and BLAS round differently between CPUs and library versions, a log-prob served from the
response cache was computed in whatever batch first asked for it (its padding moves the sixth digit), and a
bootstrap interval's end moves more. Seen so far: the ideal-point log-loss on unseen conversations 2.5e-5 apart
(relative) between two machines on one commit, its interval's upper end 2e-4 apart, a p(yes) 1.5e-5 apart, judged
positions near 0.008 3.6e-6 and 1.05e-5 apart, and a learn accuracy 2e-4 apart (relative); on one machine the
reference commit and the refactored code wrote identical numbers. A binned metric (expected calibration error) jumps
when an item's prediction crosses a bin's edge: the ideal-point ECE on unseen conversations was 0.026238 on the
machine that wrote the files and 0.026660 on an Intel AVX-512 machine, same commit (1332 items; it may move 2 / n). A change of behaviour moves numbers far more, and
every generated text is compared exactly. With the environment variable
``PLURALIGN_WRITE_GOLDEN=1`` it writes those files instead: do that once, on code whose behaviour is the reference,
and commit them with a note saying from which commit they come. The files here were written from d683a99 (issue 15
landed; before any of issue 17's shape work), on the 2-core test machine; the learn files were rewritten at 9d170d7
(IdealPoint fitted until settled), and their fit records were given the counts of what each fit trained on
(``comparisons``, ``later_choices`` 0) by hand when learn began to record them, every number left as it was. The
learn files were rewritten again when learn's intervals began to resample prompts crossed with people (branch
crossed): only interval ends moved (the ideal-point values by at most 1e-5, relative: its fit on this machine). In
the compare-samplers file only the interval ends of accuracy, log_loss and oracle_accuracy were replaced, from a run
on the branch; every other number is as it was. The learn files were written again when learn began to show the
estimator's paired accuracy_gain over the shared reward and intervals on its learning curve (branch trust): each
gains three accuracy_gain metrics rows and their gain|<split> records, and each curve record gains ci_low, ci_high
and comparisons, its n now counting people (40) instead of comparisons (480); every other record and row was checked
equal to the previous files before they were replaced. In the audit file the 28 metrics rows by ``language`` (a statement's
language, its original and translated items together) were replaced by the 35 rows by ``language_variant`` (branch
groups: "de original", "de translated", "en original", gap and ratio, for the same seven metrics), from a run on the
branch; every record and every other row is as it was. The audit file was written again when refusals began to be
decided from their signals apart (branch refuse): its 24 long_form records lose ``refusal`` (all false) and
``refusal_signal`` (all null), now decided in the tables, and its metrics gain 27 rows each of refusal_phrase_rate and
refusal_judged_rate (all 0, by language_variant once merged with the groups branch); every other record and row was
checked equal to the previous file before it was replaced. The audit file gained 10 metrics rows when the audit
began to measure distributional pluralism (branch steer, issue 35): entropy_gap (overall, by group, gap, ratio),
answer_entropy and population_alignment (overall; the built-in survey's groups gained population weights) and the
checks opinion_one_letter and opinion_near_uniform; they were computed by the branch's code from the file's own
records (no model called), and every one of the 265 rows before them was checked equal to the previous file, the
records left as they were. Steering is off by default, so no steer records or rows. The compare-samplers file was
written again when IdealPoint began from a spectral start (branch ideal, issue 30 item 4): 33 ideal-point rows of the
independent sampler changed (its population is tiny: 44 held-out comparisons; seen people's log-loss 1.122 -> 1.064,
adapted unseen people's 1.068 -> 1.265); its records and every other row were checked equal within the tolerance.
The values file's metrics were computed again from its own records (no model called; main's code reproduced all 74
rows from them first) when a metric's registered range, not its values, began to bound its intervals (branch mend):
10 interval ends of 9 rows moved. ``tensions`` (a count, all 0 here) lost a 0/1 share's exact bound (overall
[0, 0.522] -> [0, 0], en [0, 0.842] -> [0, 0], honesty [0, 0.602] -> [0, 0]); valence_entropy's lower ends
(overall, en, honesty: -0.072, -0.255, -0.363) and kept_candidates' (-0.100, -45.0, -2.15) are clipped at 0, and
valence_entropy's honesty upper end at log2(3) (1.893 -> 1.585). Its records and every other row are as they were.
In the compare-samplers file the same change clips at 0 the 17 negative lower ends of ideal-point ``log_loss``
intervals (overall and by group; the lowest was -3.216), the one number it changes: a log-loss is never below 0,
and these rows went through ``disaggregate`` unclipped because their values did not all lie in [0, 1]. Set by hand
to 0.0 (the code computes max(end, 0) there); its records and every other row are as they were.
The compare-samplers file was written again when its fixture went from 5 prompts to 3 (en-1, de-1, fr-1; branch
tourcut, issue 30 item 3, from 73a2fe0's code, no src change), to cut its model work (10 -> 6 sets, 5 -> 3 default
answers; benchmarks/RESULTS.md): the 44 value-pole checks and the 3 prompts' default answers are the old file's within
the tolerance; the 6 sets are new texts (a sampled answer depends on the batch it was drawn in), so their positions and
every metric row are new, the same 195 rows; a second run on the branch matched the file. What each test of
tests/sampling/test_job.py checks holds on 3 prompts (2 trained on, 1 held out).
It was written again when the fixture's sets went from 3 candidates to 2 (branch samplers2, issue 30 item 3, from
913803f's code, no src change), to cut its placing and generation: the 44 value-pole checks and the 3 default answers
are the old file's exactly; the 6 sets are new texts (the negatively-correlated sets now keep the first 2 of 4 and of 3
responses, or comply at a second attempt, where a set of 3 was filled after 3 attempts), so their positions and every
metric row are new, the same 195 rows.
The values file was written again when its fixture went from 5 situations to 4 (en-01, en-21, de-01, tr-04: fr-01
left out; branch tourvalues, issue 30 item 3, from 913803f's code, no src change), so that they make one chunk of
four instead of a chunk of four and one of one (benchmarks/RESULTS.md): en-01's and en-21's records equal the old
file's within the tolerance (every text the same, explanations included); de-01's and tr-04's are new samples (a
sampled list depends on its batch), and the metrics are the 67 rows of the four situations.
Every golden file was written in float32. When ``dtype=auto`` began to mean bf16 on a CPU that computes it natively
(branch bf16: AVX-512 BF16 or AMX), the golden audit, values and compare-samplers runs began to take the embedded
model in float32 (``conftest.fp32_model``), handed to their jobs under the spec ``embedded``: the spec string is in
their record keys and metrics rows, which keep it, and each run's manifest records ``model_dtypes: {"embedded":
"float32"}`` beside the fingerprint. No golden file was written again for it.
The audit file was written again when ``conftest.small_run``'s long-form answers went from 32 tokens to 16 (branch
audit2, issue 30 item 3: 7-10 CPU s less of its 85-100 s; no src change): its 24 long_form records hold the first 16
tokens of their answers (each a prefix of the old answer: greedy decoding) and the judge's option probabilities on
them (the judged stances unchanged, all "agree" in both orders); its 142 other records and all 275 metrics rows were
checked equal to the previous file within the tolerance.
The learn-ideal and compare-samplers files were written again when IdealPoint began to predict a person it did not
fit by the posterior predictive (the fitted mixes' choice probabilities averaged under the person's posterior) rather
than the choice of the posterior's average mix (session 29, issue 36; docs/methods.md#fitting-ideal-points): in
learn-ideal 32 of 98 metrics rows changed, all of the unseen people (0-shot log-loss 1.214 -> 1.094, ECE 0.126 ->
0.014, accuracy 0.513 -> 0.511), and 6 of its 16 records beyond the tolerance: the report's two metrics tables and
the learning curve's 4 points (log-loss 1.263 -> 1.130 after 0 choices, 1.049 -> 0.971 after 5, 0.900 -> 0.895 after
20; accuracy 0.504 -> 0.492, 0.615 -> 0.613, 0.633 -> 0.638, and within the tolerance after 20); in
compare-samplers 28 of 195 rows, the ideal-point log-loss of unseen people (overall 0.6737 -> 0.6740), its records
equal.
"""

from __future__ import annotations

import gzip
import json
import math
import os
from pathlib import Path

import pandas as pd

GOLDEN = Path(__file__).parent / "golden"
_TOLERANCE = {"rel_tol": 1e-3, "abs_tol": 1e-4}
_INTERVAL_TOLERANCE = {"rel_tol": 5e-3, "abs_tol": 1e-4}  # for ci_low and ci_high
_BINNED = {"ece"}  # metrics that bin predictions: one item crossing a bin's edge moves them by about 1 / n


def _records(run_dir: Path) -> list[dict] | None:
    path = run_dir / "records.jsonl"
    if not path.exists():
        return None
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _metrics(run_dir: Path) -> list[dict]:
    table = pd.read_parquet(run_dir / "metrics.parquet").drop(columns="run")
    return json.loads(table.to_json(orient="records", double_precision=15))


def _same(a, b, where: str) -> None:
    if isinstance(a, float) or isinstance(b, float):
        both_missing = a is None and b is None or (isinstance(a, float) and isinstance(b, float)
                                                   and math.isnan(a) and math.isnan(b))
        tolerance = _INTERVAL_TOLERANCE if where.endswith((".ci_low", ".ci_high")) else _TOLERANCE
        assert both_missing or (a is not None and b is not None and math.isclose(a, b, **tolerance)), f"{where}: {a} != {b}"
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), f"{where}: fields {sorted(a.keys() ^ b.keys())} differ"
        binned = a.get("metric") in _BINNED and all(isinstance(x.get("value"), float) for x in (a, b))
        for key in a:
            if binned and key == "value":  # two items may cross a bin's edge
                assert abs(a[key] - b[key]) <= 2 / a["n"], f"{where}.value: {a[key]} != {b[key]} ({a['metric']})"
            else:
                _same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{where}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _check_gaps(found: list[dict], expected: list[dict], name: str) -> None:
    """Compare each metrics row's gap (largest minus smallest group) by its two ends, then let ``_same`` see the
    expected value: the difference of two groups, each within a relative 1e-3, can move by 1e-3 times the sum of
    their sizes, far more than 1e-3 of itself when they are close (an ideal-point log-loss gap of 0.0476 between
    groups near 1.1 moved 1e-4 between two machines)."""
    ends: dict[tuple, list[float]] = {}
    for row in expected:
        if row.get("group") not in ("gap", "ratio") and isinstance(row.get("value"), float):
            ends.setdefault((row["metric"], row["grouping"], row.get("setting"), row.get("model")), []).append(row["value"])
    scale = {key: abs(max(values)) + abs(min(values)) for key, values in ends.items()}
    for i, (a, b) in enumerate(zip(found, expected)):
        if b.get("group") == "gap" and isinstance(a.get("value"), float) and isinstance(b.get("value"), float):
            allowed = _TOLERANCE["rel_tol"] * scale.get((b["metric"], b["grouping"], b.get("setting"), b.get("model")), 0.0)
            assert abs(a["value"] - b["value"]) <= max(allowed, _TOLERANCE["abs_tol"]), \
                f"{name}.metrics[{i}].value: {a['value']} != {b['value']} (a gap)"
            a["value"] = b["value"]


def assert_golden(name: str, run_dir: Path) -> None:
    """The run in ``run_dir`` wrote what the golden run ``name`` wrote (or, with PLURALIGN_WRITE_GOLDEN=1, it
    becomes that golden run)."""
    found = {"records": _records(run_dir), "metrics": _metrics(run_dir)}
    path = GOLDEN / f"{name}.json.gz"
    if os.environ.get("PLURALIGN_WRITE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(gzip.compress(json.dumps(found, ensure_ascii=False, sort_keys=True).encode(), mtime=0))
        return
    assert path.exists(), f"no golden file {path}; write it with PLURALIGN_WRITE_GOLDEN=1 on the reference code"
    expected = json.loads(gzip.decompress(path.read_bytes()))
    if expected["records"] is None:  # the job kept no records then (learn, before it resumed): its metrics must agree
        found["records"] = None
    found = json.loads(json.dumps(found, ensure_ascii=False))
    _check_gaps(found["metrics"], expected["metrics"], name)
    _same(found, expected, name)
