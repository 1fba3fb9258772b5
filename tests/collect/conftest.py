"""Collection studies on both databases: a SQLite file, and a fresh database on the machine's PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest

from pluralign.collect.store import Store
from pluralign.collect.study import load_study
from pluralign.data import builtin_prompts

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
RESEARCHER, CONTACT = "Dr. Ada Lovelace, University of Somewhere", "ada@example.org"


def write_study(folder: Path, database: str, **sections: dict) -> Path:
    """A study file in ``folder`` on ``database``: a small default study, with ``sections`` replacing its keys."""
    study = {"study": {"name": "pilot", "languages": ["en", "fr"], "database": database, "researcher": RESEARCHER,
                       "contact": CONTACT, "kept": "Your choices and survey answers, for five years"},
             "prompts": {"limit": 4}, "candidates": {"sampler": "independent", "k": 3, "max_tokens": 24},
             "turns": {"max": 2}, "overlap": {"min_people": 2, "shared": 1, "quota": 3}}
    for name, values in sections.items():
        study.setdefault(name, {}).update(values)
    def value(v) -> str:
        return "[" + ", ".join(value(x) for x in v) + "]" if isinstance(v, list) else \
            f'"{v}"' if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
    text = "\n".join(f"[{name}]\n" + "".join(f"{k} = {value(v)}\n" for k, v in keys.items())
                     for name, keys in study.items())
    path = folder / "study.toml"
    path.write_text(text)
    return path


def open_store(tmp_path, database, **sections) -> Store:
    """The study ``write_study`` makes, migrated, with its prompts (each with a pending first-turn set)."""
    store = Store(load_study(write_study(tmp_path, database, **sections)))
    store.migrate()
    store.add_prompts(builtin_prompts().head(store.study.prompts_limit))
    return store


def fill_all(store: Store) -> None:
    """Every pending set filled with fixed texts."""
    for prompt in store.pending(100):
        store.fill(prompt["id"], [{"text": f"answer {i} to {prompt['text']}", "source": "test"} for i in range(store.study.k)])


def answer(store: Store, person_id: int, position: int = 0, next_message: str | None = None) -> str:
    """The person answers their current task (a fresh nonce)."""
    task = store.task(person_id)
    return store.choose(person_id, nonce=uuid.uuid4().hex, set_id=task.set_id, position=position, rationale="why",
                        next_message=next_message, seconds=5.0)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """A SQLAlchemy URL of an empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield str(tmp_path / "study.db")
        return
    name = f"pluralign_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
