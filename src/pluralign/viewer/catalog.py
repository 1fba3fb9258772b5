"""What the viewer reads: the runs under one directory, their tables, and their items, without ever leaving it.

Every path the viewer opens goes through ``RunsDirectory.run`` or ``RunsDirectory.file``: a run is a direct,
non-symlinked child holding a manifest; a file is a regular file inside it reached without ``..``, absolute parts
or symlinks. Anything else is "not found", whatever the encoding of the request.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

import pandas as pd

from ..errors import InputError
from ..jobs import NotFound
from ..runs import read_manifest


@dataclass(frozen=True)
class RunSummary:
    name: str
    job: str
    models: str
    created: str
    status: str
    size: int
    has_report: bool


@lru_cache(maxsize=4096)
def _summary(path: Path, stamp: tuple) -> RunSummary:
    manifest = read_manifest(path)
    config = manifest.get("config", {})
    models = list(manifest.get("models") or []) or config.get("models") or [config.get("model") or config.get("estimator", "")]
    files = [f for f in path.iterdir() if f.is_file()]
    return RunSummary(path.name, manifest.get("job", ""), ", ".join(str(m) for m in models if m),
                      manifest.get("created", ""), str(manifest.get("status", "")),
                      sum(f.stat().st_size for f in files), (path / "report.html").is_file())


@lru_cache(maxsize=256)
def _parquet(path: Path, stamp: tuple) -> pd.DataFrame:
    return pd.read_parquet(path)


def _stamp(path: Path) -> tuple:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


class RunsDirectory:
    """The runs under ``root``, read-only. The list of runs is rescanned at most every ``max_age`` seconds, so a
    page under load does not stat every run's files on every request; a new or finished run shows within that."""

    def __init__(self, root: str | Path, max_age: float = 1.0):
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise InputError(f"{root} is not a directory of runs")
        self.max_age = max_age
        self._scanned: tuple[float, tuple[RunSummary, ...]] = (-math.inf, ())

    def runs(self) -> tuple[RunSummary, ...]:
        """Every run directly under the root, newest first (the same tuple object until the next rescan)."""
        now = time.monotonic()
        if now - self._scanned[0] > self.max_age:
            self._scanned = (now, self._scan())
        return self._scanned[1]

    def _scan(self) -> tuple[RunSummary, ...]:
        out = []
        for child in self.root.iterdir():
            manifest = child / "manifest.json"
            if child.is_symlink() or not manifest.is_file():
                continue
            records = child / "records.jsonl"
            stamp = (_stamp(manifest), _stamp(records) if records.exists() else None, _stamp(child))
            out.append(_summary(child, stamp))
        return tuple(sorted(out, key=lambda r: (r.created, r.name), reverse=True))

    def run(self, name: str) -> Path:
        """The directory of run ``name``, or NotFound."""
        if not name or name in (".", "..") or any(c in name for c in "/\\\0"):
            raise NotFound(name)
        path = self.root / name
        if path.is_symlink() or not (path / "manifest.json").is_file():
            raise NotFound(name)
        return path

    def file(self, name: str, relative: str) -> Path:
        """A regular file inside run ``name``, reached without '..', absolute parts or symlinks; or NotFound."""
        run = self.run(name)
        parts = PurePosixPath(relative).parts
        if not parts or relative.startswith("/") or any(p in ("..", ".") or "\\" in p or "\0" in p for p in parts):
            raise NotFound(relative)
        path = run
        for part in parts:
            path = path / part
            if path.is_symlink():
                raise NotFound(relative)
        if not path.is_file() or not path.resolve().is_relative_to(run.resolve()):
            raise NotFound(relative)
        return path

    def manifest(self, name: str) -> dict:
        return read_manifest(self.run(name))

    def table(self, name: str, file: str) -> pd.DataFrame | None:
        """A run's parquet table (cached until it changes), or None when the run has none."""
        path = self.run(name) / file
        return _parquet(path, _stamp(path)) if path.is_file() else None
