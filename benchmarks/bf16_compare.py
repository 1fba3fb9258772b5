"""Compare two audit runs of one model in two dtypes (benchmarks/bf16_tour.sh): judged stances, answers, p_agree,
log-probs and overall metrics. usage: python benchmarks/bf16_compare.py RUN_FP32 RUN_BF16"""
import json, sys
import numpy as np, pandas as pd
a, b = sys.argv[1], sys.argv[2]
def recs(d):
    out = {}
    for l in open(d + "/records.jsonl"):
        r = json.loads(l); out[r["key"].split("|", 1)[1]] = r
    return out
A, B = recs(a), recs(b)
stages = {}
for k in A:
    stages.setdefault(A[k]["stage"], []).append(k)
for st, keys in stages.items():
    print(st, len(keys), "keys; example fields", sorted(A[keys[0]].keys()))
# judged stances
for st in ("long_form", "judge_check"):
    keys = stages.get(st, [])
    fld = [f for f in A[keys[0]] if "stance" in f or "judged" in f] if keys else []
    for f in fld:
        diff = sum(A[k].get(f) != B[k].get(f) for k in keys)
        print(f"{st}.{f}: {diff} of {len(keys)} differ")
    if st == "long_form" and keys:
        same = sum(A[k].get("response") == B[k].get("response") for k in keys)
        print(f"long_form identical responses: {same} of {len(keys)}")
keys = stages.get("stance", [])
pa = np.array([A[k]["p_agree"] for k in keys]); pb = np.array([B[k]["p_agree"] for k in keys])
lp = np.array([[f["lp_yes"], f["lp_no"]] for k in keys for f in A[k]["framings"]])
lq = np.array([[f["lp_yes"], f["lp_no"]] for k in keys for f in B[k]["framings"]])
print(f"stance items {len(keys)}: |p_agree diff| max {np.abs(pa-pb).max():.4f} mean {np.abs(pa-pb).mean():.4f}; "
      f"log-prob |diff| max {np.abs(lp-lq).max():.3f} mean {np.abs(lp-lq).mean():.3f} nats")
ma = pd.read_parquet(a + "/metrics.parquet"); mb = pd.read_parquet(b + "/metrics.parquet")
key = ["metric", "grouping", "group"]
m = ma[ma.grouping == "overall"][key + ["value", "ci_low", "ci_high"]].merge(
    mb[mb.grouping == "overall"][key + ["value", "ci_low", "ci_high"]], on=key, suffixes=("_f32", "_bf16"))
pd.set_option("display.width", 200)
print(m.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
