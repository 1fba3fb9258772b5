"""How far bf16 scores sit from fp32 ones on 126 stance requests, with the LM head in bf16 (as loaded) or in fp32.
usage: PYTHONPATH=src OMP_NUM_THREADS=1 taskset -c 1 python benchmarks/bf16_scores.py"""
import time, numpy as np, torch
from pluralign.models import load
from pluralign.audit import core
from pluralign.data import builtin_statements
items = core.statement_items(builtin_statements().iloc[::8], translated=False).to_dict("records")
reqs = [r for it in items for r in core.stance_requests(it, chat=True)]
print(len(reqs), "requests")
full = load("embedded?dtype=float32"); ref = np.array([v for r in full.score(reqs) for v in r])
half = load("embedded?dtype=bfloat16")
t = time.process_time(); low = np.array([v for r in half.score(reqs) for v in r]); t1 = time.process_time() - t
head = half.model.get_output_embeddings()
w = head.weight.detach().float()
orig = head.forward
head.forward = lambda x: torch.nn.functional.linear(x.float(), w)
t = time.process_time(); mixed = np.array([v for r in half.score(reqs) for v in r]); t2 = time.process_time() - t
for name, x in (("bf16", low), ("bf16 body, fp32 head", mixed)):
    d = np.abs(x - ref); p = lambda v: 1 / (1 + np.exp(v[1::2] - v[::2]))
    print(f"{name}: |lp diff| max {d.max():.3f} mean {d.mean():.3f}; |p_yes diff| max {np.abs(p(x)-p(ref)).max():.4f}")
print(f"CPU s: bf16 {t1:.1f}, fp32 head {t2:.1f}")
