"""Attention over a token tree laid out flat in one row: each token attends to its ancestors and itself.

The hf backend computes a scoring batch as one row of tree nodes (``prefix.tree_batches``), so its matmuls see no
padding and no shared token twice. Only attention needs to know the tree. transformers looks up each layer's
attention function by name on every call (``AttentionInterface``); while a ``TreeLayout`` is active, the function
registered here cuts the row into segments of consecutive nodes, gathers each segment's queries and the keys and
values of its nodes and their ancestors, hands them to the model's own attention (sdpa or eager, so its scaling,
soft-capping and grouped heads stay its own) with a mask read off the tree, and lays the outputs back in row order.
A segment's keys are its first node's ancestors and the segment itself, so the padding that batching segments costs
falls on attention alone, the cheap part.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import torch
from transformers import AttentionInterface
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

from .base import ModelSpecError
from .prefix import TokenTree

NAME = "pluralign_tree"


@dataclass
class TreeLayout:
    """Where each segment's queries and keys sit in the row, and which keys each query may see."""

    base: str  # the model's own attention implementation, which computes each segment
    width: int  # nodes per segment; the row's last segment may hold fewer
    kv_index: torch.Tensor  # (segments x kv_width,) row positions of each segment's keys, padding at 0
    visible: torch.Tensor  # (segments, 1, width, kv_width) key is the query's ancestor or itself
    q_depth: torch.Tensor  # (segments, 1, width, 1) position of each query, for sliding windows
    kv_depth: torch.Tensor  # (segments, 1, 1, kv_width) position of each key
    calls: int = 0
    _masks: dict = field(default_factory=dict)

    @classmethod
    def of(cls, tree: TokenTree, row: np.ndarray, segment_tokens: int, base: str) -> "TreeLayout":
        """``row``: node ids in increasing order, each node's ancestors among them."""
        segments = []
        for start in range(0, len(row), segment_tokens):
            stop, before = min(start + segment_tokens, len(row)), row[:start]
            keys = np.concatenate([np.nonzero(before + tree.size[before] > row[start])[0], np.arange(start, stop)])
            segments.append((np.arange(start, stop), keys))
        width = len(segments[0][0])
        kv_width = max(len(k) for _, k in segments)
        kv_index = np.zeros((len(segments), kv_width), dtype=np.int64)
        visible = np.zeros((len(segments), 1, width, kv_width), dtype=bool)
        q_depth = np.zeros((len(segments), 1, width, 1), dtype=np.int64)
        kv_depth = np.zeros((len(segments), 1, 1, kv_width), dtype=np.int64)
        for s, (q, k) in enumerate(segments):
            qn, kn = row[q][:, None], row[k][None, :]
            kv_index[s, : len(k)] = k
            visible[s, 0, : len(q), : len(k)] = (kn <= qn) & (qn < kn + tree.size[kn])
            visible[s, 0, len(q) :, 0] = True  # a padding query that sees nothing would compute NaN
            q_depth[s, 0, : len(q), 0], kv_depth[s, 0, 0, : len(k)] = tree.depth[qn[:, 0]], tree.depth[kn[0]]
        return cls(base, width, *(torch.from_numpy(a) for a in (kv_index.ravel(), visible, q_depth, kv_depth)))

    def mask(self, window: int | None, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        """Boolean for sdpa; for eager attention, which adds its mask to the scores, 0 or the dtype's minimum. Made
        once per forward pass (and window), not per layer."""
        if (window, dtype, device) not in self._masks:
            seen = (self.visible if not window else self.visible & (self.q_depth - self.kv_depth < window)).to(device)
            if self.base != "sdpa":
                seen = torch.zeros(seen.shape, dtype=dtype, device=device).masked_fill_(~seen, torch.finfo(dtype).min)
            self._masks[(window, dtype, device)] = seen
        return self._masks[(window, dtype, device)]


_active: ContextVar[TreeLayout | None] = ContextVar("pluralign_tree_layout", default=None)


def _tree_attention(module, query, key, value, attention_mask, **kwargs):
    """query (1, heads, n, d), key and value (1, kv heads, n, d) -> (1, n, heads, d), as transformers expects."""
    layout = _active.get()
    if layout is None:
        raise RuntimeError("tree attention was called with no TreeLayout active")
    layout.calls += 1
    device, n = query.device, query.shape[2]
    n_segments = layout.visible.shape[0]
    kv_index = layout.kv_index.to(device)

    def segments(x: torch.Tensor) -> torch.Tensor:  # (heads, segments x width, d) -> (segments, heads, width, d)
        return x.unflatten(1, (n_segments, -1)).transpose(0, 1)

    q = segments(torch.nn.functional.pad(query[0], (0, 0, 0, n_segments * layout.width - n)))
    k, v = segments(key[0].index_select(1, kv_index)), segments(value[0].index_select(1, kv_index))
    if layout.base in ALL_ATTENTION_FUNCTIONS:
        attend = ALL_ATTENTION_FUNCTIONS[layout.base]
    else:  # eager attention lives in the model's own module, with its own extras (soft-capping, sinks)
        attend = sys.modules[type(module).__module__].eager_attention_forward
    mask = layout.mask(kwargs.get("sliding_window"), query.dtype, device)
    out, _ = attend(module, q, k, v, mask, **kwargs)  # (segments, width, heads, d)
    return out.reshape(1, -1, *out.shape[2:])[:, :n], None


AttentionInterface.register(NAME, _tree_attention)


@contextmanager
def tree_attention(model, layout: TreeLayout, label: str) -> Iterator[None]:
    """Run ``model`` with tree attention over ``layout``; after the forward pass, check that every layer used it."""
    token = _active.set(layout)
    own = model.config._attn_implementation
    model.set_attn_implementation(NAME)
    try:
        yield
    finally:
        model.set_attn_implementation(own)
        _active.reset(token)
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    if layout.calls != config.num_hidden_layers:
        raise ModelSpecError(
            f"{label}: only {layout.calls} of its {config.num_hidden_layers} layers attend through transformers' "
            "attention interface, which the hf backend's scoring needs; score this model with vllm: instead")


def base_implementation(model) -> str:
    """The model's attention for tree segments: its own sdpa or eager; sdpa where it uses a kernel that takes no
    mask (flash attention)."""
    own = model.config._attn_implementation
    return own if own in ("sdpa", "eager") else "sdpa"
