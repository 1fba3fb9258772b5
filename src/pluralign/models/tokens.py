"""What the hf and vllm backends share: a transformers tokenizer's chat rendering and tokenising, and the
fingerprint of a checkpoint (so a response cache never mixes two models)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .base import ModelError, Prompt


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
    """``backend:name:digest`` of the model's configuration, dtype and weight files."""
    digest = hashlib.sha256(
        json.dumps([config, dtype, _weights_id(name_or_path)], sort_keys=True, default=str).encode()
    ).hexdigest()[:16]
    return f"{backend}:{name}:{digest}"


def _weights_id(name_or_path: str | Path) -> str:
    """Name, size and modification time of local weight files, so a changed checkpoint gets a new fingerprint (and no
    cached answer of the old one): a model trained again in place (``pluralign align --fresh``) has the same sizes."""
    path = Path(name_or_path)
    if not path.is_dir():
        return str(name_or_path)
    files = sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin"))
    return ";".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)
