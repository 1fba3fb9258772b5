"""Model specs carry backend options (``?dtype=bfloat16&device=auto``), checked before anything loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from pluralign.models import load, parse_spec
from pluralign.models.base import ModelSpecError, ScoreRequest
from pluralign.models.devices import (cpu_computes_bf16, free_bytes, generation_batch, resolve_device, resolve_dtype,
                                      scoring_budget)
from pluralign.models.embedded import embedded_hf_dir
from pluralign.models.spec import OPTIONS


def test_options_follow_a_question_mark_and_are_converted_by_their_backend():
    spec = parse_spec("hf:meta-llama/Llama-3.1-8B-Instruct?dtype=bfloat16&device=cuda:1&batch_tokens=65536")
    assert (spec.kind, spec.target) == ("hf", "meta-llama/Llama-3.1-8B-Instruct")
    assert spec.options == {"dtype": "bfloat16", "device": "cuda:1", "batch_tokens": 65536}
    assert parse_spec("embedded?gen_batch_size=auto").options == {"gen_batch_size": "auto"}
    assert parse_spec("embedded?gen_batch_size=auto").is_embedded
    assert parse_spec("llamacpp:m.gguf?n_gpu_layers=-1").options == {"n_gpu_layers": -1}
    assert parse_spec("vllm:embedded?tensor_parallel_size=8&distributed_executor_backend=ray").options == {
        "tensor_parallel_size": 8, "distributed_executor_backend": "ray"}
    served = parse_spec("openai:http://127.0.0.1:8000/v1#qwen?check_logprobs=off&concurrency=32")
    assert served.target == "http://127.0.0.1:8000/v1#qwen"
    assert served.options == {"check_logprobs": False, "concurrency": 32}
    assert parse_spec("hf:gpt2").options == {}
    with_query = parse_spec("openai:https://example.org/v1?api-version=2#m?concurrency=2")  # the URL's own query stays
    assert (with_query.target, with_query.options) == ("https://example.org/v1?api-version=2#m", {"concurrency": 2})


@pytest.mark.parametrize("text, fragment", [
    ("hf:gpt2?dtype=float64", "option dtype='float64' must be one of auto, float32, bfloat16, float16"),
    ("hf:gpt2?n_ctx=4096", "unknown option 'n_ctx' for hf models (known: " + ", ".join(OPTIONS["hf"]) + ")"),
    ("hf:gpt2?batch_tokens=0", "option batch_tokens='0' must be at least 1"),
    ("hf:gpt2?device=tpu", "must be auto, cpu, cuda"),
    ("llamacpp:m.gguf?n_ctx=big", "option n_ctx='big'"),
    ("hf:gpt2?dtype", "options read ?name=value&name=value"),
])
def test_a_wrong_option_is_refused_naming_what_is_accepted(text, fragment):
    with pytest.raises(ModelSpecError, match=None) as caught:
        parse_spec(text)
    assert fragment in str(caught.value) and f"'{text}'" in str(caught.value)


def test_on_a_machine_without_a_gpu_auto_means_the_cpu_with_the_cpu_batch_sizes(hf_model):
    assert not torch.cuda.is_available()  # this test describes the CPU machine the suite runs on
    assert resolve_device("auto") == "cpu" and resolve_dtype("auto", "cpu") == torch.float32  # no bf16 checkpoint
    assert resolve_dtype("bfloat16", "cpu") == torch.bfloat16 and resolve_dtype("auto", "cpu", "float16") == torch.float32
    assert hf_model.device == "cpu"
    assert free_bytes(hf_model.model) is None and hf_model.batch_tokens == 2048
    assert hf_model.gen_batch_size(200, 8) == 16


def _cpu_flags() -> set[str]:
    """The CPU's features as the kernel read them from CPUID (/proc/cpuinfo), apart from torch's own reading."""
    flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    return set(flags.partition(":")[2].split())


def test_auto_is_bf16_exactly_where_the_checkpoint_is_bf16_and_the_cpu_computes_it_natively(hf_model, tmp_path):
    """``dtype=auto`` on the CPU follows the checkpoint's own dtype where it is bf16 and the CPU has AVX-512 BF16 or
    AMX (bf16 matmuls 2.6x float32's on a Zen 4 core), and is fp32 elsewhere (emulated bf16 is slower than fp32)."""
    native = bool(_cpu_flags() & {"avx512_bf16", "amx_bf16"})
    assert cpu_computes_bf16() == native
    expected = torch.bfloat16 if native else torch.float32
    assert hf_model.model.dtype == expected and hf_model.dtype == str(expected).removeprefix("torch.")  # SmolLM2: bf16
    config = json.loads((embedded_hf_dir() / "config.json").read_text())
    assert config["dtype"] == "bfloat16"  # the conversion records SmolLM2's release dtype ...
    with safe_open(embedded_hf_dir() / "model.safetensors", "pt") as weights:  # ... and keeps its weights in float32
        assert {weights.get_slice(name).get_dtype() for name in weights.keys()} == {"F32"}
    assert load(f"hf:{embedded_hf_dir()}").model.dtype == expected  # so the folder itself is the embedded model
    plain = tmp_path / "fp32-config"  # the same weights, their config saying float32 (an fp32 checkpoint)
    plain.mkdir()
    for file in embedded_hf_dir().iterdir():
        if file.name != "config.json":
            (plain / file.name).symlink_to(file)
    (plain / "config.json").write_text(json.dumps({**config, "dtype": "float32"}))
    fp32 = load(f"hf:{plain}")
    assert fp32.model.dtype == torch.float32 and fp32.dtype == "float32"


def test_a_conversion_made_before_the_release_dtype_was_recorded_is_brought_up_to_date(tmp_path, monkeypatch):
    """A user's cache converted by an earlier pluralign holds a config saying float32: the first load records
    bfloat16 in it (before, ``load`` special-cased the embedded model's dtype instead)."""
    current = embedded_hf_dir()
    old = tmp_path / "models" / current.name
    old.mkdir(parents=True)
    for file in current.iterdir():
        if file.name != "config.json":
            (old / file.name).symlink_to(file)
    config = json.loads((current / "config.json").read_text())
    (old / "config.json").write_text(json.dumps({**config, "dtype": "float32"}))
    monkeypatch.setenv("PLURALIGN_CACHE", str(tmp_path))
    assert embedded_hf_dir() == old and json.loads((old / "config.json").read_text())["dtype"] == "bfloat16"
    assert json.loads((old / "config.json").read_text()) == config


def test_gpu_batch_sizes_grow_with_free_memory_and_shrink_with_longer_sequences(hf_model):
    # The arithmetic that sizes GPU batches, given a GPU's free bytes (there is no GPU here): more room, more
    # tokens, up to the caps; longer sequences, fewer of them.
    sizes = [(scoring_budget(hf_model.model, gib << 30), generation_batch(hf_model.model, 256, gib << 30),
              generation_batch(hf_model.model, 4096, gib << 30)) for gib in (1, 4, 16)]
    tokens, short, long = zip(*sizes)
    assert tokens[0] < tokens[1] <= tokens[2] <= 262144 and tokens[0] >= 2048
    assert all(s >= l for s, l in zip(short, long)) and long[0] < long[2] and max(short) <= 512


def test_a_bfloat16_model_scores_close_to_fp32_and_is_cached_apart(fp32_model):
    half = load("embedded?dtype=bfloat16&batch_tokens=512")
    assert half.model.dtype == torch.bfloat16 and half.batch_tokens == 512
    assert half.fingerprint != fp32_model.fingerprint
    request = [ScoreRequest("The capital of France is", (" Paris", " Rome", " banana"))]
    full, low = fp32_model.score(request)[0], half.score(request)[0]
    assert low == pytest.approx(full, abs=0.5)
    assert sorted(range(3), key=low.__getitem__) == sorted(range(3), key=full.__getitem__)


def test_the_vllm_backend_without_vllm_installed_says_how_to_install_it():
    # The suite's own environment has no vLLM (it lives in .venv-vllm, see tests/models/test_vllm.py).
    with pytest.raises(ModelSpecError, match=r"pip install 'pluralign\[vllm\]'"):
        load("vllm:embedded?enforce_eager=on")


def test_a_checkpoint_written_again_in_place_gets_a_new_fingerprint(tmp_path):
    """`pluralign align --fresh` writes a new model where the old one was, with weight files of the same sizes: the
    fingerprint (which keys the response cache) must change, or the old model's cached answers would come back."""
    import time

    from transformers import LlamaConfig, LlamaForCausalLM

    from pluralign.models.tokens import checkpoint_fingerprint

    config = LlamaConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                         num_key_value_heads=2, vocab_size=64)
    LlamaForCausalLM(config).save_pretrained(tmp_path)
    first = checkpoint_fingerprint("hf", "tiny", config.to_dict(), "float32", tmp_path)
    size = (tmp_path / "model.safetensors").stat().st_size
    time.sleep(0.01)
    LlamaForCausalLM(config).save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").stat().st_size == size
    assert checkpoint_fingerprint("hf", "tiny", config.to_dict(), "float32", tmp_path) != first
    assert checkpoint_fingerprint("hf", "tiny", config.to_dict(), "float32", tmp_path) == \
        checkpoint_fingerprint("hf", "tiny", config.to_dict(), "float32", tmp_path)


def test_the_same_weights_in_another_folder_keep_their_fingerprint_and_changed_bytes_do_not(tmp_path):
    """The fingerprint keys the response cache: answers cached for a checkpoint must be found wherever its files are
    (the embedded model converted under another ``PLURALIGN_CACHE``, a copied run), and a weight changed in place
    without changing the file's size must not find them."""
    import shutil

    import numpy as np
    from safetensors.numpy import load_file, save_file
    from transformers import AutoConfig, LlamaConfig, LlamaForCausalLM

    from pluralign.models.tokens import checkpoint_fingerprint

    def fingerprint(folder):
        return checkpoint_fingerprint("hf", "tiny", AutoConfig.from_pretrained(folder).to_dict(), "float32", folder)

    LlamaForCausalLM(LlamaConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                                 num_key_value_heads=2, vocab_size=64)).save_pretrained(tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b", copy_function=shutil.copyfile)  # new files, new times
    assert AutoConfig.from_pretrained(tmp_path / "b").to_dict()["_name_or_path"] == str(tmp_path / "b")
    assert fingerprint(tmp_path / "b") == fingerprint(tmp_path / "a")
    weights = tmp_path / "b" / "model.safetensors"
    tensors = load_file(weights)
    norm = next(name for name in tensors if name.endswith("norm.weight"))  # one small tensor, as little as can change
    tensors[norm] = tensors[norm] + np.float32(1.0)
    size = weights.stat().st_size
    save_file(tensors, weights, metadata={"format": "pt"})
    assert weights.stat().st_size == size
    assert fingerprint(tmp_path / "b") != fingerprint(tmp_path / "a")
