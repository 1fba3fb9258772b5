"""The transformers backend: shared-prefix scoring is exact, generation is reproducible."""

from __future__ import annotations

import numpy as np
import torch

from pluralign.audit import core
from pluralign.data import builtin_statements
from pluralign.models.base import GenerateRequest, ScoreRequest
from pluralign.models.prefix import TokenTree, plan_scores, split_pair, tree_batches


def _naive(model, request: ScoreRequest) -> list[float]:
    """One full forward pass per (context, continuation), LM head everywhere: the obvious reference."""
    context = model.render(request.context)
    out = []
    for cont in request.continuations:
        ctx, x = split_pair(model.encode, context, cont, model.tokenizer.eos_token_id)
        with torch.no_grad():
            logp = torch.log_softmax(model.model(torch.tensor([ctx + x])).logits[0].double(), -1)
        out.append(sum(float(logp[len(ctx) - 1 + i, t]) for i, t in enumerate(x)))
    return out


def _stance_requests(n_items: int) -> list[ScoreRequest]:
    items = core.statement_items(builtin_statements().iloc[::9]).to_dict("records")[:n_items]
    return [r for it in items for r in core.stance_requests(it, chat=True)]


def test_shared_prefix_scores_equal_full_forward_passes(fp32_model):
    # In fp32, where the planner's exactness shows to 1e-4: in bf16 (``dtype=auto`` on a CPU with AVX-512 BF16 or
    # AMX) a tree's products and a full pass's round differently, and the first stance request's two log-probs moved
    # 0.024 nats (0.106 with the tree cut finely, below) from the full passes', both answers alike.
    requests = _stance_requests(4) + [
        ScoreRequest("The cat sat on the", (" mat", " hat and the dog", " mat")),
        ScoreRequest("A", (" b",)),
    ]
    ours = fp32_model.score(requests)
    for request, got in zip(requests, ours):
        assert np.allclose(got, _naive(fp32_model, request), atol=1e-4)


def test_scores_stay_exact_when_the_tree_is_cut_finely(fp32_model, monkeypatch):
    """Tiny segments and forward passes force every path through the planner: passes that start deep in the tree
    (their ancestors computed again), segments that cut a subtree apart, a context with many multi-token
    continuations, a row of one token."""
    requests = _stance_requests(2) + [
        ScoreRequest("Name a colour:", tuple(f" {c} and more" for c in ("red", "green", "blue", "ochre", "teal"))),
        ScoreRequest("Z", (" y",)),
    ]
    monkeypatch.setattr(fp32_model, "segment_tokens", 5)
    monkeypatch.setattr(fp32_model, "batch_tokens", 150)
    ours = fp32_model.score(requests)
    for request, got in zip(requests, ours):
        assert np.allclose(got, _naive(fp32_model, request), atol=1e-4)
    assert fp32_model.model.config._attn_implementation == "sdpa"  # scoring gives the model its own attention back


def _check_tree(rows: list[list[int]], batch_tokens: int) -> None:
    tree = TokenTree.of(rows)
    for row, path in zip(rows, tree.paths):  # every row reads back from its path
        assert list(tree.token[path]) == row and list(tree.depth[path]) == list(range(len(row)))
    for node in range(len(tree)):  # ids are pre-order: a subtree is an id range
        inside = [m for m in range(len(tree)) if node in tree.ancestors(m) + [m]]
        assert inside == list(range(node, node + tree.size[node]))
    batches = tree_batches(tree, batch_tokens)
    computed = np.concatenate(batches)
    assert set(computed) == set(range(len(tree)))
    for row in batches:
        assert list(row) == sorted(set(row))
        assert all(set(tree.ancestors(n)) <= set(row) for n in row)  # every node sees all its ancestors
    assert len(computed) - len(tree) <= sum(int(tree.depth[row].max()) for row in batches)  # only ancestors repeat


def test_the_token_tree_and_its_passes_on_random_rows():
    rng = np.random.default_rng(0)
    for _ in range(200):
        stems = [list(rng.integers(0, 4, rng.integers(1, 12))) for _ in range(rng.integers(1, 4))]
        rows = [stems[rng.integers(len(stems))] + list(rng.integers(0, 3, rng.integers(0, 8))) for _ in range(rng.integers(1, 30))]
        _check_tree([[int(t) for t in r] for r in rows if r], int(rng.integers(1, 40)))


def test_the_tree_holds_a_languages_shared_prompt_and_each_statement_once(hf_model):
    requests = _stance_requests(6)
    plan = plan_scores(requests, lambda r: hf_model.render(r.context), hf_model.encode, hf_model.tokenizer.eos_token_id)
    tree = TokenTree.of([row.tokens for row in plan.rows])
    _check_tree([list(row.tokens) for row in plan.rows], 8192)
    distinct = sum(len(row.tokens) for row in plan.rows)
    # Six framings of a statement share it; the chat template's system prompt is shared by all six statements.
    system = len(hf_model.encode(hf_model.render([{"role": "user", "content": "x"}]).split("<|im_start|>user")[0]))
    assert len(tree) < distinct / 3
    assert system > 10 and (tree.depth < system).sum() == system  # one copy of the system prompt


def test_yes_and_no_of_one_context_are_one_row(hf_model):
    plan = plan_scores([ScoreRequest("Is water wet? Answer:", (" Yes", " No"))], lambda r: r.context, hf_model.encode, 0)
    assert len(plan.rows) == 1


def test_scores_match_lm_evaluation_harness(fp32_model):
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    from pluralign.models.embedded import embedded_hf_dir

    requests = _stance_requests(2) + [ScoreRequest("Paris is the capital of", (" France", " Italy"))]
    pairs = [(fp32_model.render(r.context), c) for r in requests for c in r.continuations]
    lm = HFLM(pretrained=str(embedded_hf_dir()), dtype="float32", batch_size=8, device="cpu")
    theirs = [v for v, _ in lm.loglikelihood([Instance("loglikelihood", {}, p, i) for i, p in enumerate(pairs)], disable_tqdm=True)]
    ours = [v for r in fp32_model.score(requests) for v in r]
    assert np.abs(np.array(ours) - np.array(theirs)).max() < 1e-3


def test_greedy_generation_is_deterministic_and_batch_independent(hf_model):
    prompts = [[{"role": "user", "content": q}] for q in ("What is the capital of France?", "Name a colour.", "Say hi.")]
    alone = hf_model.generate([GenerateRequest(prompts[0], max_tokens=12)])
    batched = hf_model.generate([GenerateRequest(p, max_tokens=12) for p in prompts])
    again = hf_model.generate([GenerateRequest(p, max_tokens=12) for p in prompts])
    assert batched == again
    assert alone[0] == batched[0]
    assert "Paris" in alone[0][0]


def test_seeded_sampling_repeats_and_seeds_differ(hf_model):
    prompt = [{"role": "user", "content": "Write one word about the sea."}]
    first = hf_model.generate([GenerateRequest(prompt, max_tokens=16, temperature=1.0, seed=7, n=3)])
    second = hf_model.generate([GenerateRequest(prompt, max_tokens=16, temperature=1.0, seed=7, n=3)])
    other = hf_model.generate([GenerateRequest(prompt, max_tokens=16, temperature=1.0, seed=8, n=3)])
    assert first == second
    assert len(first[0]) == 3
    assert first != other


def test_stop_strings_cut_the_output(hf_model):
    out = hf_model.generate([GenerateRequest("1, 2, 3, 4,", max_tokens=20, stop=(" 7",))])[0][0]
    assert " 7" not in out
    assert "5" in out
