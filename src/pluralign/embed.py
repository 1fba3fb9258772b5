"""Embedder: texts -> L2-normalised vectors, batched, with a SQLite cache so a text is embedded once per model."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from .models.base import ModelSpecError
from .models.embedded import cache_dir, embedded_embedder_path


class Embedder(Protocol):
    fingerprint: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_truncated(self, texts: Sequence[str]) -> int: ...


class SentenceEmbedder:
    """A sentence-transformers model; ``"embedded"`` is the packaged all-MiniLM-L6-v2.

    Args:
        name_or_path: "embedded", a local directory, or a hub id.
        batch_size: texts per forward pass.
        cache: SQLite file of vectors already computed (None: no cache).
    """

    def __init__(self, name_or_path: str = "embedded", *, batch_size: int = 64, cache: str | Path | None = "default") -> None:
        self.name, self.batch_size, self._model = name_or_path, batch_size, None
        if cache == "default":
            cache = cache_dir() / "embeddings.sqlite"
        self._db = None
        if cache is not None:
            Path(cache).parent.mkdir(parents=True, exist_ok=True)
            # another thread may embed than the one that made the embedder (`collect serve`'s refit thread does)
            self._db = sqlite3.connect(cache, timeout=30, check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS dims (name TEXT PRIMARY KEY, dim INTEGER NOT NULL)")
        # the cache keeps each embedder's width, so texts embedded before are read back without loading the model (and
        # importing torch: about 5 CPU s): a finished run's rerun, or a rebuild, embeds nothing new
        known = self._db.execute("SELECT dim FROM dims WHERE name = ?", (name_or_path,)).fetchone() if self._db else None
        self.dim = known[0] if known else self.model.get_embedding_dimension()
        if self._db is not None and not known:
            self._db.execute("INSERT OR REPLACE INTO dims VALUES (?, ?)", (name_or_path, self.dim))
            self._db.commit()
        self.fingerprint = f"st:{name_or_path}:{self.dim}"

    @property
    def model(self):
        """The sentence-transformers model, loaded at its first use."""
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a bar for loading 103 tensors is noise on every command
            path = str(embedded_embedder_path()) if self.name == "embedded" else self.name
            try:
                self._model = SentenceTransformer(path, device="cpu")
            except (OSError, ValueError) as exc:
                raise ModelSpecError(f"could not load sentence embedder '{self.name}': {exc}") from None
        return self._model

    def count_truncated(self, texts: Sequence[str]) -> int:
        """How many of ``texts`` are longer than the model reads (``max_seq_length`` word-pieces, special tokens
        included) and so are embedded from their beginning only."""
        texts, cut = list(texts), 0
        for start in range(0, len(texts), 10_000):  # in chunks: the token ids of a whole dataset would fill memory
            lengths = self.model.tokenizer(texts[start : start + 10_000], truncation=False, return_length=True,
                                           verbose=False)["length"]
            cut += sum(n > self.model.max_seq_length for n in lengths)
        return int(cut)

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.fingerprint}\0{text}".encode()).hexdigest()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n, d) float32 unit vectors, in the order of ``texts``."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        if self._db is not None and keys:
            unique = list(dict.fromkeys(keys))
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for k, blob in self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                    found[k] = np.frombuffer(blob, dtype=np.float32)
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in found))
        if missing:
            vectors = self.model.encode(missing, batch_size=self.batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False).astype(np.float32)
            fresh = {self._key(t): v for t, v in zip(missing, vectors)}
            found.update(fresh)
            if self._db is not None:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", [(k, v.tobytes()) for k, v in fresh.items()])
                self._db.commit()
        for i, k in enumerate(keys):
            out[i] = found[k]
        return out
