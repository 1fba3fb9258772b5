"""Where a transformers model runs and how much work fits there at once: device and dtype defaults, and batch sizes
from a GPU's free memory (on the CPU the sizes that keep two cores' matmuls large, measured in benchmarks/)."""

from __future__ import annotations

import torch


def resolve_device(device: str) -> str:
    """``auto`` is the first CUDA GPU when there is one, else the CPU; anything else is taken as named."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


#: torch's checks for the instructions that compute bfloat16 products in hardware: AVX-512 BF16 (Intel since Cooper
#: Lake, AMD since Zen 4) and AMX (Intel since Sapphire Rapids, which has AVX-512 BF16 too). Without them oneDNN
#: emulates bfloat16 and is slower than float32.
_NATIVE_BF16 = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")


def cpu_computes_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (a torch without the checks counts as no)."""
    return any(getattr(torch.cpu, check, lambda: False)() for check in _NATIVE_BF16)


def resolve_dtype(dtype: str | torch.dtype, device: str, stored: str | None = None) -> torch.dtype:
    """``auto`` is bf16 on a GPU that computes in it; on the CPU it is the checkpoint's own dtype (``stored``, from
    its config) where that is bf16 and the CPU computes bf16 natively (2.6x float32's matmul rate on a Zen 4 core,
    9x on AMX: benchmarks/RESULTS.md), else fp32 (emulated bf16 is slower than fp32; fp16 matmuls on a CPU are too)."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        if device.startswith("cuda") and torch.cuda.is_available():
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
        on_cpu = device == "cpu"
        return torch.bfloat16 if on_cpu and stored == "bfloat16" and cpu_computes_bf16() else torch.float32
    return getattr(torch, dtype)


def stored_dtype(config) -> str | None:
    """The dtype a transformers config says its checkpoint was saved in (``dtype``, formerly ``torch_dtype``)."""
    dtype = getattr(config, "dtype", None) or getattr(config, "torch_dtype", None)
    return str(dtype).removeprefix("torch.") if dtype else None


def _shape(model) -> tuple[int, int, int, int, int, int]:
    """Layers, key/value width, hidden width, MLP width, vocabulary and bytes per number of a decoder-only
    transformer."""
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    hidden = config.hidden_size
    heads = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or hidden // heads
    kv = (getattr(config, "num_key_value_heads", None) or heads) * head_dim
    mlp = getattr(config, "intermediate_size", None) or 4 * hidden
    return config.num_hidden_layers, kv, hidden, mlp, config.vocab_size, model.dtype.itemsize


def free_bytes(model) -> int | None:
    """Free memory on the fullest GPU the model sits on (counting blocks PyTorch holds but does not use), or None on
    the CPU."""
    devices = {p.device for p in model.parameters() if p.device.type == "cuda"}
    if not devices:
        return None
    return min(torch.cuda.mem_get_info(d)[0] + torch.cuda.memory_reserved(d) - torch.cuda.memory_allocated(d)
               for d in devices)


def scoring_budget(model, free: int | None, share: float = 0.6) -> int:
    """Tree nodes per scoring pass: 2048 on the CPU (``free`` None: large enough for full-speed matmuls, small enough
    that each layer's activations stay in cache; benchmarks/RESULTS.md); on a GPU, ``share`` of its ``free`` bytes
    over what one token costs there (one layer's hidden and MLP activations, and an allowance of one key and value per
    layer for the ancestors' keys and values that attention gathers), 2k–256k."""
    if free is None:
        return 2048
    layers, kv, hidden, mlp, _, size = _shape(model)
    per_token = size * (2 * layers * kv + 4 * hidden + 3 * mlp)
    return int(min(max(share * free / per_token, 2048), 262144))


def generation_batch(model, tokens_per_sequence: int, free: int, share: float = 0.5) -> int:
    """Sequences generated together on a GPU: ``share`` of its ``free`` bytes over what one sequence costs (keys and
    values in every layer for prompt and reply, one layer's activations while the prompt is read, fp32 logits),
    1–512."""
    layers, kv, hidden, mlp, vocab, size = _shape(model)
    per_sequence = size * tokens_per_sequence * (2 * layers * kv + 4 * hidden + 3 * mlp) + 8 * vocab
    return int(min(max(share * free / per_sequence, 1), 512))
