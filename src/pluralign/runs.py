"""Run directories: a manifest, append-only records, and resume without loss or duplicates.

    runs/<name>/manifest.json   job, config, data fingerprint (and facts about the data: what was left out), model
                                fingerprints, versions, seed, status
    runs/<name>/records.jsonl   one line per finished item, appended and flushed as produced
    runs/<name>/*.parquet, report.html   derived; rebuilt from the records at any time
    runs/<name>/error.log       the tracebacks of bugs that stopped a command on the run (cli/common.py writes it)
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

import pandas as pd
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .errors import InputError
from .models.base import LanguageModel, on_demand
from .models.cache import CachedModel, user_cache
from .models.spec import load


class RunError(InputError):
    """A run cannot go on as asked (e.g. its config changed); the message says what to do."""


def public_columns(df: pd.DataFrame) -> pd.DataFrame:
    """The table without its private columns (named ``_…``: loader bookkeeping such as source rows), which no
    run records, fingerprints or saves."""
    return df.drop(columns=[c for c in df.columns if c.startswith("_")])


def fingerprint_table(df: pd.DataFrame) -> str:
    """A stable hash of a table's contents, recorded so a run never mixes two datasets."""
    payload = public_columns(df).to_json(orient="records", force_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("pluralign", "torch", "transformers", "llama-cpp-python", "pandas", "numpy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


class Run:
    """A run directory opened for writing.

    Opening an existing run with the same job, config and data resumes it; anything else is refused unless
    ``fresh`` is set, in which case the old directory is kept aside under a timestamped name, never deleted.
    """

    def __init__(self, path: str | Path, job: str, config: dict, data_fingerprint: str, *, fresh: bool = False, seed: int = 0):
        self.path = Path(path)
        self.records_path = self.path / "records.jsonl"
        self.manifest_path = self.path / "manifest.json"
        wanted = {"job": job, "config": config, "data_fingerprint": data_fingerprint, "seed": seed}
        if self.path.exists() and not self.path.is_dir():
            raise RunError(f"{self.path} is a file, not a run directory; choose another --out")
        if self.manifest_path.exists():
            old = read_manifest(self.path)
            same = {k: old.get(k) for k in wanted} == json.loads(json.dumps(wanted))
            if not same and not fresh:
                changed = [k for k in wanted if old.get(k) != json.loads(json.dumps(wanted[k]))]
                detail = ", ".join(changed)
                if "config" in changed:
                    keys = sorted({*old.get("config", {}), *config})
                    detail += " (" + ", ".join(k for k in keys if old.get("config", {}).get(k) != json.loads(json.dumps(config.get(k)))) + ")"
                raise RunError(f"{self.path} holds a run with a different {detail}; use another --out, or --fresh to "
                               "keep the old run aside and start again")
            if fresh:
                aside = self.path.with_name(f"{self.path.name}.{datetime.now():%Y%m%d-%H%M%S}")
                self.path.rename(aside)
        elif self.path.exists() and any(self.path.iterdir()) and not fresh:
            raise RunError(f"{self.path} exists and is not a pluralign run; choose another --out")
        self.path.mkdir(parents=True, exist_ok=True)
        self.manifest = read_manifest(self.path) if self.manifest_path.exists() else {
            **wanted, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "models": {},
            "versions": _versions(), "status": "running"}
        self._repair_tail()
        self._write_manifest()

    def _repair_tail(self) -> None:
        """Drop a last line cut short by a crash, so the file stays valid JSONL."""
        if not self.records_path.exists():
            return
        data = self.records_path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with self.records_path.open("r+b") as fh:
                fh.truncate(cut)

    def _write_manifest(self) -> None:
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.manifest, indent=2, ensure_ascii=False))
        os.replace(tmp, self.manifest_path)

    def set_model(self, spec: str, fingerprint: str, dtype: str | None = None) -> None:
        """Record a model's fingerprint and the number format it computes in (``model_dtypes``: ``dtype=auto`` is
        bf16 on some CPUs and fp32 on others); refuse to resume with different weights or format under one spec."""
        known = self.manifest["models"].get(spec)
        was = self.manifest.get("model_dtypes", {}).get(spec)
        if known and known != fingerprint:
            hint = f" (it computed in {was}, now in {dtype}: name ?dtype={was} to go on)" if was and dtype != was else ""
            raise RunError(f"{self.path} was run with {spec} = {known}, but that spec now loads {fingerprint}{hint}; "
                           "use --fresh")
        self.manifest["models"][spec] = fingerprint
        if dtype:
            self.manifest.setdefault("model_dtypes", {})[spec] = dtype
        self._write_manifest()

    def describe_data(self, **facts) -> None:
        """Record facts about the data the run read, found as it was read, beside its fingerprint: ``data_cards``
        (name, licence, restrictions of each table read: ``data.read_cards``), ``left_out`` (the rows its loader left
        out, by reason), ...; the same data gives the same facts, so a resumed run keeps them."""
        self.manifest.update(facts)
        self._write_manifest()

    def set_status(self, status: str) -> None:
        self.manifest["status"] = status
        self.manifest["updated"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self._write_manifest()

    @contextmanager
    def recording(self):
        """Around a job's work: the run ends "complete", or "interrupted" / "failed: why" when the work raises."""
        try:
            yield self
        except BaseException as exc:
            self.set_status("interrupted" if isinstance(exc, KeyboardInterrupt) else f"failed: {exc}")
            raise
        self.set_status("complete")

    def done_keys(self) -> set[str]:
        return {r["key"] for r in read_records(self.path)}

    def append(self, records: Iterable[dict]) -> None:
        """Append finished items in one write, flushed and synced, so a crash loses at most the item in flight."""
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        if not lines:
            return
        with self.records_path.open("a", encoding="utf-8") as fh:
            fh.write(lines)
            fh.flush()
            os.fsync(fh.fileno())


class Models:
    """The models a job asks for by spec, each opened ``on_demand``: loaded at its first use (or taken from ``given``,
    already loaded), put behind the response cache shared by every job, and its fingerprint recorded in the
    run so a resume never mixes weights. A job whose items are all done asks nothing, so it loads no model."""

    def __init__(self, run: Run | None = None, *, given: dict[str, LanguageModel] | None = None,
                 use_cache: bool = True, template_from: str | None = None) -> None:
        self._run = run
        self._given = dict(given or {})
        self._cache = user_cache() if use_cache else None
        self._template_from = template_from
        self._open: dict[str, LanguageModel] = {}
        self._loaded: dict[str, LanguageModel] = {}

    def __call__(self, spec: str) -> LanguageModel:
        if spec not in self._open:
            self._open[spec] = on_demand(
                lambda: CachedModel(self._model(spec), self._cache) if self._cache else self._model(spec))
        return self._open[spec]

    def _model(self, spec: str) -> LanguageModel:
        """The model of ``spec`` without the cache, loaded (and its fingerprint recorded) once."""
        if spec not in self._loaded:
            model = self._given[spec] if spec in self._given else load(spec, template_from=self._template_from)
            if self._run is not None:
                self._run.set_model(spec, model.fingerprint, getattr(model, "dtype", None))
            self._loaded[spec] = model
        return self._loaded[spec]

    def loaded(self) -> dict[str, LanguageModel]:
        """Every model given or opened so far, without the cache in front, for the jobs a job runs inside it: each
        model is loaded once, by whichever asks first (on a GPU, a second copy of a 7B model may not fit)."""
        return {**self._given, **{spec: on_demand(lambda s=spec: self._model(s)) for spec in self._open}}


class Tasks:
    """A job's progress bars, one per stage: ``advance = tasks.add("label", total)``; silent when disabled."""

    def __init__(self, bar: Progress | None) -> None:
        self._bar = bar

    def add(self, label: str, total: int) -> Callable[[int], None]:
        if self._bar is None:
            return lambda n: None
        task = self._bar.add_task(label, total=total)
        return lambda n: self._bar.advance(task, n)


@contextmanager
def progress_tasks(enabled: bool) -> Iterator[Tasks]:
    """Progress bars for a job's stages while the block runs, or silent ones (when quiet, or not on a terminal)."""
    if not enabled:
        yield Tasks(None)
        return
    with Progress(TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("eta"), TimeRemainingColumn()) as bar:
        yield Tasks(bar)


def in_chunks(run: Run, done: set[str], keys: list[str], items: list[dict],
              compute: Callable[[list[dict]], list[dict]], advance: Callable[[int], None], *,
              model: LanguageModel | None, size: int) -> None:
    """Compute items in chunks, skipping finished ones, appending each chunk's records as it completes.

    A chunk holds the job's own ``size`` items (small: a crash loses little), or the ``model``'s ``batch_hint`` where
    larger: a GPU answers a few hundred requests in about the time of sixteen, and an 8B audit's long-form stage took
    73 s in chunks of 16 on an H200 (RESULTS.md). The hint is asked only when an item is left, since asking loads a
    model that opens on demand: a finished run loads none. ``model=None`` means ``size`` alone."""
    if set(keys) <= done:
        advance(len(items))
        return
    step = max(size, getattr(model, "batch_hint", 0))
    for start in range(0, len(items), step):
        block = [(k, it) for k, it in zip(keys[start : start + step], items[start : start + step]) if k not in done]
        if block:
            records = compute([it for _, it in block])
            for (key, _), record in zip(block, records):
                record["key"] = key
            run.append(records)
            done.update(k for k, _ in block)
        advance(min(step, len(items) - start))


def read_records(run_dir: str | Path) -> list[dict]:
    """All complete records of a run, first occurrence of each key only."""
    path = Path(run_dir) / "records.jsonl"
    if not path.exists():
        return []
    seen, out = set(), []
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.endswith(b"\n"):
                break  # a line cut short by a crash
            record = _record(line, path, number)
            if record["key"] not in seen:
                seen.add(record["key"])
                out.append(record)
    return out


def _record(line: bytes, path: Path, number: int) -> dict:
    """One line of a run's records; RunError naming the file and line when it is not one (a damaged run)."""
    try:
        record = json.loads(line)
    except ValueError as exc:  # not UTF-8, or not JSON
        raise RunError(f"{path}, line {number}: not a record ({exc}); the run is damaged") from None
    if not isinstance(record, dict) or "key" not in record:
        raise RunError(f"{path}, line {number}: not a record (no key); the run is damaged")
    return record


def read_manifest(run_dir: str | Path) -> dict:
    """A run's manifest; RunError when ``run_dir`` has none, or one that cannot be read (a damaged run)."""
    path = Path(run_dir) / "manifest.json"
    if not path.is_file():
        raise RunError(f"{run_dir} is not a pluralign run (no manifest.json)")
    try:
        manifest = json.loads(path.read_bytes())
    except ValueError as exc:  # not UTF-8, or not JSON
        raise RunError(f"{path}: not a run's manifest ({exc}); the run is damaged") from None
    if not isinstance(manifest, dict):
        raise RunError(f"{path}: not a run's manifest (a JSON {type(manifest).__name__}, not an object); "
                       "the run is damaged")
    return manifest


def learned_model_file(run_dir: str | Path) -> Path:
    """The fitted model (``model.npz``) of a ``learn`` run on texts, from its manifest alone; RunError for another
    job's run, a run on simulated feature vectors, or one that has not finished fitting. Nothing heavier than the
    manifest is read, so a command refuses a wrong run in about a second, before importing or loading any model."""
    manifest = read_manifest(run_dir)
    if manifest.get("job") != "learn":
        raise RunError(f"{run_dir} is a '{manifest.get('job')}' run; a reward comes from a 'learn' run")
    if manifest["config"].get("data") == "simulated":
        raise RunError(f"{run_dir} learned from simulated feature vectors, not from texts, so its reward cannot "
                       "score answers; learn from comparisons of texts (ca:, comparisons:, collect:, trl:, prism:)")
    path = Path(run_dir) / "model.npz"
    if not path.exists():
        raise RunError(f"{run_dir} has no fitted model (model.npz): let `pluralign learn` finish first")
    return path
