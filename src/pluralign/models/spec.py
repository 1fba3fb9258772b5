"""Model specs: one string names a model and its backend, everywhere in pluralign.

    embedded                     SmolLM2-135M-Instruct shipped in a wheel, through transformers
    llamacpp:embedded            the same GGUF through llama.cpp
    hf:<hub id | local dir>      any causal LM transformers can load
    llamacpp:<file.gguf>         any GGUF file
    openai:<base_url>#<model>    any OpenAI-compatible server (vLLM, llama.cpp server, TGI, Ollama)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .base import LanguageModel, ModelSpecError

SPEC_HELP = "embedded, llamacpp:embedded, hf:<id|path>, llamacpp:<file.gguf>, openai:<base_url>#<model>"


@dataclass(frozen=True)
class ModelSpec:
    kind: str  # "hf" | "llamacpp" | "openai"
    target: str
    text: str

    @property
    def is_embedded(self) -> bool:
        return self.target == "embedded"


def parse_spec(text: str) -> ModelSpec:
    """Check a spec's shape without loading anything; raise ModelSpecError naming the accepted shapes."""
    spec = text.strip()
    if spec == "embedded":
        return ModelSpec("hf", "embedded", spec)
    kind, sep, target = spec.partition(":")
    if sep and target and kind in ("hf", "llamacpp"):
        return ModelSpec(kind, target, spec)
    if sep and kind == "openai":
        url, hash_, model = target.rpartition("#")
        if hash_ and url.startswith(("http://", "https://")) and model:
            return ModelSpec("openai", target, spec)
        raise ModelSpecError(f"model spec '{text}' needs the shape openai:<base_url>#<model>, e.g. openai:http://127.0.0.1:8000/v1#my-model")
    raise ModelSpecError(f"unknown model spec '{text}': use one of {SPEC_HELP}")


def load(text: str, *, template_from: str | None = None, **options) -> LanguageModel:
    """Load the model a spec names; options go to the backend (e.g. ``n_ctx`` for llama.cpp).

    ``template_from`` (openai specs only) names the tokenizer whose chat template renders chat prompts for
    scoring, since completion endpoints take text: ``embedded``, a hub id or a local directory.
    """
    spec = parse_spec(text)
    if spec.kind == "hf":
        from .hf import HFModel

        if spec.is_embedded:
            from .embedded import embedded_hf_dir

            return HFModel(embedded_hf_dir(), label="embedded", **options)
        return HFModel(spec.target, **options)
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
