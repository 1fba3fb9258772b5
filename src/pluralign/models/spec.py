"""Model specs: one string names a model and its backend, everywhere in pluralign.

    embedded                     SmolLM2-135M-Instruct shipped in a wheel, through transformers
    llamacpp:embedded            the same GGUF through llama.cpp
    hf:<hub id | local dir>      any causal LM transformers can load
    vllm:<hub id | local dir>    the same through vLLM's engine (vllm:embedded: the embedded model)
    llamacpp:<file.gguf>         any GGUF file
    openai:<base_url>#<model>    any OpenAI-compatible server (vLLM, llama.cpp server, TGI, Ollama)

Backend options follow a ``?``, as in a URL: ``hf:meta-llama/Llama-3.1-8B-Instruct?dtype=bfloat16&device=auto``,
``llamacpp:model.gguf?n_ctx=8192&n_gpu_layers=-1``, ``openai:http://127.0.0.1:8000/v1#m?concurrency=32``.
``OPTIONS`` lists each backend's options; an unknown one or a malformed value is refused before anything loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qsl

from .base import LanguageModel, ModelSpecError
from .cache import CachedModel, user_cache

SPEC_HELP = ("embedded, llamacpp:embedded, hf:<id|path>, vllm:<id|path>, llamacpp:<file.gguf>, openai:<base_url>#<model>, "
             "each with ?<option>=<value>&...")


def _size(value: str) -> int | str:
    """A positive count, or ``auto`` (sized from the device's free memory)."""
    if value == "auto":
        return value
    number = int(value)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def _choice(*allowed: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value
    return check


def _switch(value: str) -> bool:
    if value.lower() not in ("on", "off", "true", "false", "1", "0"):
        raise ValueError("must be on or off")
    return value.lower() in ("on", "true", "1")


def _device(value: str) -> str:
    if value.split(":")[0] not in ("auto", "cpu", "cuda", "mps", "xpu"):
        raise ValueError("must be auto, cpu, cuda, cuda:<n>, mps or xpu")
    return value


_DTYPE = _choice("auto", "float32", "bfloat16", "float16")
OPTIONS: dict[str, dict[str, Callable[[str], object]]] = {
    "hf": {"dtype": _DTYPE, "device": _device,
           "device_map": _choice("auto", "balanced", "sequential"), "batch_tokens": _size, "gen_batch_size": _size},
    "vllm": {"dtype": _DTYPE, "tensor_parallel_size": int,
             "pipeline_parallel_size": int, "distributed_executor_backend": _choice("mp", "ray"),
             "gpu_memory_utilization": float, "max_model_len": int, "enforce_eager": _switch, "seed": int},
    "llamacpp": {"n_ctx": int, "n_threads": int, "n_gpu_layers": int},
    "openai": {"concurrency": int, "timeout": float, "retries": int, "check_logprobs": _switch},
}


@dataclass(frozen=True)
class ModelSpec:
    kind: str  # "hf" | "vllm" | "llamacpp" | "openai"
    target: str
    text: str
    options: dict = field(default_factory=dict, compare=False)

    @property
    def is_embedded(self) -> bool:
        return self.target == "embedded"


def parse_spec(text: str) -> ModelSpec:
    """Check a spec's shape and options without loading anything; raise ModelSpecError naming what is accepted."""
    spec = text.strip()
    kind, sep, target = spec.partition(":")
    if spec.split("?")[0] == "embedded":
        kind, sep, target = "hf", ":", spec
    if kind in ("hf", "vllm", "llamacpp"):
        target, _, query = target.partition("?")
        if sep and target:
            return ModelSpec(kind, target, spec, _options(kind, query, text))
    if sep and kind == "openai":  # options follow the model name: the URL may have a query of its own
        url, hash_, model = target.rpartition("#")
        model, _, query = model.partition("?")
        if hash_ and url.startswith(("http://", "https://")) and model:
            return ModelSpec("openai", f"{url}#{model}", spec, _options(kind, query, text))
        raise ModelSpecError(f"model spec '{text}' needs the shape openai:<base_url>#<model>, e.g. openai:http://127.0.0.1:8000/v1#my-model")
    raise ModelSpecError(f"unknown model spec '{text}': use one of {SPEC_HELP}")


def _options(kind: str, query: str, text: str) -> dict:
    """The ``?name=value&...`` part of a spec, each value checked and converted by its backend's rule."""
    known = OPTIONS[kind]
    options = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ModelSpecError(f"model spec '{text}': options read ?name=value&name=value") from None
    for name, value in pairs:
        if name not in known:
            raise ModelSpecError(f"model spec '{text}': unknown option '{name}' for {kind} models "
                                 f"(known: {', '.join(known)})")
        try:
            options[name] = known[name](value)
        except ValueError as exc:
            raise ModelSpecError(f"model spec '{text}': option {name}={value!r} {exc}") from None
    return options


def checkpoint(spec: ModelSpec) -> str | Path:
    """The transformers checkpoint an hf or vllm spec names: a hub id or a folder (for ``embedded``, the folder its
    GGUF weights are converted to)."""
    if spec.is_embedded:
        from .embedded import embedded_hf_dir

        return embedded_hf_dir()
    return spec.target


def released_dtype(spec: ModelSpec) -> str | None:
    """The dtype an hf spec's checkpoint was released in, as its config says (``embedded``: SmolLM2's bf16, though
    its converted weights are stored in fp32), which ``dtype=auto`` follows on a CPU that computes it natively."""
    from transformers import AutoConfig

    from .devices import stored_dtype

    return stored_dtype(AutoConfig.from_pretrained(checkpoint(spec)))


def load(text: str, *, template_from: str | None = None, cache: bool = False, **options) -> LanguageModel:
    """Load the model a spec names; options go to the backend (e.g. ``n_ctx`` for llama.cpp).

    ``template_from`` (openai specs only) names the tokenizer whose chat template renders chat prompts for
    scoring, since completion endpoints take text: ``embedded``, a hub id or a local directory. With ``cache``,
    answers go through the response cache every job and command shares (``cache.user_cache``), so a script that
    asks what a command asked before reads it back instead of computing it again.
    """
    model = _backend(text, template_from, options)
    return CachedModel(model, user_cache()) if cache else model


def _backend(text: str, template_from: str | None, options: dict) -> LanguageModel:
    """The backend's model for a spec (``load`` without the cache)."""
    spec = parse_spec(text)
    options = {**spec.options, **options}
    label = {"label": "embedded"} if spec.is_embedded else {}
    if spec.kind == "hf":
        from .hf import HFModel

        return HFModel(checkpoint(spec), **label, **options)
    if spec.kind == "vllm":
        from .vllm import VLLMModel

        return VLLMModel(checkpoint(spec), **label, **options)
    if spec.kind == "llamacpp":
        from .llamacpp import LlamaCppModel

        if spec.is_embedded:
            from .embedded import embedded_gguf

            return LlamaCppModel(embedded_gguf(), label="llamacpp:embedded", **options)
        path = Path(spec.target)
        if not path.is_file():
            raise ModelSpecError(f"model spec '{text}': no GGUF file at {path}")
        return LlamaCppModel(path, **options)
    from .openai import OpenAIModel

    url, _, model = spec.target.rpartition("#")
    if template_from:
        options["chat_template"] = chat_template_of(template_from)
    return OpenAIModel(url, model, **options)


def chat_template_of(name: str):
    """A function rendering chat messages with the chat template of a tokenizer (``embedded``, hub id or dir)."""
    from transformers import AutoTokenizer

    if name == "embedded":
        from .embedded import embedded_hf_dir

        name = str(embedded_hf_dir())
    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError) as exc:
        raise ModelSpecError(f"could not load a tokenizer for the chat template from '{name}': {exc}") from None
    if not tokenizer.chat_template:
        raise ModelSpecError(f"the tokenizer of '{name}' has no chat template")
    return lambda messages: tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
