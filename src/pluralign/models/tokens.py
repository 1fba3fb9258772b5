"""What the hf and vllm backends share: a transformers tokenizer's chat rendering and tokenising, and the
fingerprint of a checkpoint (so a response cache never mixes two models)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .base import ModelError, Prompt
from .embedded import SOURCE, cache_dir


class TemplatedTokens:
    """Chat prompts through the tokenizer's own template; token ids with its own special tokens (e.g. BOS), unless
    the text already starts with BOS; ids memoised per text. Needs ``self.tokenizer`` and ``self.name``."""

    tokenizer: Any
    name: str

    def render(self, prompt: Prompt) -> str:
        """Plain text as is; chat messages through the model's own chat template, ready for the reply."""
        if isinstance(prompt, str):
            return prompt
        if not self.tokenizer.chat_template:
            raise ModelError(f"{self.name} has no chat template; give plain-text prompts")
        return self.tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)

    def encode(self, text: str) -> list[int]:
        memo = self.__dict__.setdefault("_encoded", {})
        ids = memo.get(text)
        if ids is None:
            bos = self.tokenizer.bos_token
            ids = memo[text] = self.tokenizer(text, add_special_tokens=not (bos and text.startswith(bos)))["input_ids"]
        return ids


def checkpoint_fingerprint(backend: str, name: str, config: dict, dtype: str, name_or_path: str | Path) -> str:
    """``backend:name:digest`` of the model's configuration, dtype and weight files. Where the weights lie is left out
    (transformers' ``_name_or_path``): the same weights in another folder, e.g. the embedded model converted under
    another ``PLURALIGN_CACHE``, find the answers cached for them."""
    config = {key: value for key, value in config.items() if key != "_name_or_path"}
    digest = hashlib.sha256(
        json.dumps([config, dtype, _weights_id(name_or_path)], sort_keys=True, default=str).encode()
    ).hexdigest()[:16]
    return f"{backend}:{name}:{digest}"


def weights_source(name_or_path: str | Path) -> str:
    """Which weights a checkpoint holds, by content: the SHA-256 of the file it was converted from where a conversion
    recorded one (``SOURCE``: the embedded model's GGUF, which ``llamacpp:embedded`` reads itself), else of its weight
    files' names, sizes and digests; a hub id stands for itself. Two models with one value run the same weights, so
    one cannot judge the other independently."""
    path = Path(name_or_path)
    if not path.is_dir():
        return f"hub:{name_or_path}"
    source = path / SOURCE
    if source.exists():
        return json.loads(source.read_text())["sha256"]
    return hashlib.sha256(_weights_id(path).encode()).hexdigest()


def _weights_id(name_or_path: str | Path) -> str:
    """Name, size and content digest of local weight files, so a changed checkpoint gets a new fingerprint (and no
    cached answer of the old one), a model trained again in place (``pluralign align --fresh``, same sizes) too."""
    path = Path(name_or_path)
    if not path.is_dir():
        return str(name_or_path)
    files = sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin"))
    return ";".join(f"{p.name}:{p.stat().st_size}:{content_digest(p)}" for p in files)


def content_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, remembered in the cache folder under its real path, inode, size and modification
    time: each version of a checkpoint is read once, not at every load (a 70B model's weights are 140 GB)."""
    real = path.resolve()
    stat = real.stat()
    key = hashlib.sha256(f"{real}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()
    memo = cache_dir() / "digests" / key
    if memo.exists():
        return memo.read_text()
    with real.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        partial = memo.with_name(f".{key}.{os.getpid()}")
        partial.write_text(digest)
        partial.replace(memo)
    except OSError:  # a cache folder we may not write only costs the next load another read
        pass
    return digest
