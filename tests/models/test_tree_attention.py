"""Tree attention on architectures other than the embedded model's: sliding windows (sdpa), soft-capped eager attention
with alternating windows, and a hybrid model whose convolution layers cannot read a tree, which is refused.

The models are small random-weight instances of real transformers architectures (their own code, their own masks),
saved with the embedded tokenizer; each score is checked against one ordinary forward pass per continuation.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

from pluralign.models.base import ModelSpecError, ScoreRequest
from pluralign.models.embedded import embedded_hf_dir
from pluralign.models.hf import HFModel
from pluralign.models.prefix import split_pair

SMALL = dict(vocab_size=49152, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, head_dim=16)
REQUESTS = [
    ScoreRequest("The quick brown fox jumps over the lazy dog, and then", (" it runs away", " sleeps", " it runs home")),
    ScoreRequest("The quick brown fox jumps over the fence", (" again", " twice over")),
    ScoreRequest("A", (" b c d e f g h i j",)),
]


def _model(tmp_path, model_type: str, **config) -> HFModel:
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(AutoConfig.for_model(model_type, **SMALL, **config)).save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(embedded_hf_dir()).save_pretrained(tmp_path)
    model = HFModel(tmp_path, label=model_type)
    model.segment_tokens, model.batch_tokens = 4, 24  # segments and passes cut through every subtree
    return model


def _one_pass_each(model: HFModel, request: ScoreRequest) -> list[float]:
    out = []
    for continuation in request.continuations:
        ctx, x = split_pair(model.encode, request.context, continuation, model.tokenizer.eos_token_id)
        with torch.no_grad():
            logp = torch.log_softmax(model.model(torch.tensor([ctx + x])).logits[0].double(), -1)
        out.append(sum(float(logp[len(ctx) - 1 + i, t]) for i, t in enumerate(x)))
    return out


@pytest.mark.parametrize("model_type, config", [
    ("mistral", dict(sliding_window=5)),  # sdpa; each token sees only the 5 before it
    ("gemma2", dict(sliding_window=5, attn_logit_softcapping=5.0, query_pre_attn_scalar=16)),  # eager, soft-capped
])
def test_tree_scores_equal_one_pass_per_continuation(tmp_path, model_type, config):
    model = _model(tmp_path, model_type, **config)
    own = model.model.config._attn_implementation
    for request, got in zip(REQUESTS, model.score(REQUESTS)):
        assert np.allclose(got, _one_pass_each(model, request), atol=1e-4)
    assert model.model.config._attn_implementation == own


def test_a_model_with_layers_that_do_not_attend_is_refused(tmp_path):
    model = _model(tmp_path, "lfm2", layer_types=["conv", "full_attention"])
    with pytest.raises(ModelSpecError, match="only 1 of its 2 layers attend"):
        model.score(REQUESTS)
