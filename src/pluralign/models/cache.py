"""A SQLite cache of model answers keyed by (model fingerprint, request), shared by every job."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Sequence

from .base import GenerateRequest, LanguageModel, ScoreRequest
from .embedded import cache_dir


class ResponseCache:
    """Key-value store of JSON answers; safe to share between threads of one process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._db.commit()

    @staticmethod
    def key(fingerprint: str, kind: str, request: dict) -> str:
        blob = json.dumps([fingerprint, kind, request], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, object]:
        found: dict[str, object] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                marks = ",".join("?" * len(chunk))
                for k, v in self._db.execute(f"SELECT key, value FROM answers WHERE key IN ({marks})", chunk):
                    found[k] = json.loads(v)
        return found

    def put_many(self, items: dict[str, object]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO answers (key, value) VALUES (?, ?)",
                [(k, json.dumps(v, ensure_ascii=False)) for k, v in items.items()],
            )
            self._db.commit()


def user_cache() -> ResponseCache:
    """The response cache that every job, command and ``load(..., cache=True)`` shares, under ``cache_dir()``."""
    return ResponseCache(cache_dir() / "responses.sqlite")


class CachedModel:
    """Wraps a LanguageModel: answers seen before come from the cache, the rest go to the model in one call.

    Sampled generations without a seed are never cached, since asking again should give a new sample.
    """

    def __init__(self, model: LanguageModel, cache: ResponseCache) -> None:
        self.model = model
        self.cache = cache
        self.fingerprint = model.fingerprint

    def __getattr__(self, name: str):
        return getattr(self.model, name)

    def _through(self, kind: str, requests: Sequence, compute, cacheable) -> list:
        keys = [self.cache.key(self.fingerprint, kind, r.key()) if cacheable(r) else None for r in requests]
        found = self.cache.get_many([k for k in keys if k])
        missing = [i for i, k in enumerate(keys) if k is None or k not in found]
        fresh = compute([requests[i] for i in missing]) if missing else []
        self.cache.put_many({keys[i]: v for i, v in zip(missing, fresh) if keys[i]})
        answers = {i: v for i, v in zip(missing, fresh)}
        return [answers[i] if i in answers else found[k] for i, k in enumerate(keys)]

    def score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]:
        return self._through("score", requests, self.model.score, lambda r: True)

    def generate(self, requests: Sequence[GenerateRequest]) -> list[list[str]]:
        return self._through("generate", requests, self.model.generate, lambda r: r.deterministic)
