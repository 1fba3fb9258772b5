"""The collection database: the tables `pluralign collect` writes (SQLAlchemy 2; SQLite file or PostgreSQL URL), and
its reading back as our comparison and annotator tables (the ``collect:DB`` data source).

A study's people come with a hashed invite token; each first-turn prompt has one candidate set that everyone assigned
to it sees (so their disagreement is measurable), in an order shuffled per person; a later turn's set continues one
person's conversation from the response they chose. A choice records the candidate's index in the set (not its
position on screen), the position it was shown at, the ranking of every candidate where the study asks for one, and
the client's nonce, unique per person, so a retried submit is one choice. Each conversation keeps why its prompt was
assigned and with what probability (active studies choose prompts by what a person's answers teach), and which of its
first-turn set's answers it shows (a study may generate a larger pool than it shows); a choice's candidates, as read
back, are the answers the person was shown, never the pool's others.
The schema's history is in Alembic migrations (``pluralign/collect/migrations``).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

import pandas as pd
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DatabaseError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from .comparisons import check_comparisons
from .schema import DatasetError


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # naive UTC: SQLite keeps no time zones


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Setting(Base):
    """A study's own values (its secret for form tokens)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Person(Base):
    """An annotator: known only by the hash of their invite token and what they chose to say about themselves."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[Optional[str]] = mapped_column(String(200))  # the researcher's own note on who was invited
    language: Mapped[str] = mapped_column(String(16), default="en")
    consented_at: Mapped[Optional[datetime]]
    declined_at: Mapped[Optional[datetime]]  # declined on the consent page: asked nothing more
    survey: Mapped[Optional[dict[str, Any]]]  # None until the survey is submitted; unanswered questions are absent
    created_at: Mapped[datetime] = mapped_column(default=now)


class Prompt(Base):
    __tablename__ = "prompts"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    shared: Mapped[bool] = mapped_column(default=False)  # answered by everyone
    position: Mapped[int] = mapped_column(default=0)  # order of the study's prompt source
    # people given it (their conversations on it), kept as they are assigned; deferred: not read with the prompt
    people: Mapped[int] = mapped_column(server_default="0", deferred=True)


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    prompt_id: Mapped[str] = mapped_column(ForeignKey("prompts.id"), index=True)
    finished: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=now)
    # why the prompt was assigned (warm-up | guarantee | design | active | random) and the probability that the
    # assignment rule gave it, for inverse-probability weights (empty in studies from before they were kept)
    assigned: Mapped[Optional[str]] = mapped_column(String(16))
    probability: Mapped[Optional[float]]
    # which answers of the prompt's first-turn set (indices, ascending) the person is shown: k of its pool; empty
    # until that set is written, and in studies from before a pool was kept (they showed every answer)
    shown: Mapped[Optional[list[Any]]]
    __table_args__ = (UniqueConstraint("person_id", "prompt_id"),)


class Fit(Base):
    """A refit of an active study's population model, as its assignment rule reads it: the hypotheses about a
    person's weights and each first-turn set's candidates' rewards (``collect/active.py``)."""

    __tablename__ = "fits"
    id: Mapped[int] = mapped_column(primary_key=True)
    choices: Mapped[int]  # the study's choices when it was fitted
    kind: Mapped[str] = mapped_column(String(16))  # mixture | ideal-point
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=now)


class RateCount(Base):
    """Requests (or wrong admin passwords) counted per key and clock minute, this minute's and the one before, so
    that every process serving a study shares its limits (``collect/web.py``). Unlogged on PostgreSQL: a count lost
    in a crash costs nothing, and a request that writes only here waits for no flush."""

    __tablename__ = "rate_counts"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # a hash of the limit's name and what it counts
    minute: Mapped[int]  # the clock minute (Unix time // 60) that ``count`` is of
    count: Mapped[int]
    previous: Mapped[int]  # the count of the minute before ``minute``


class CandidateSet(Base):
    """k candidates for one turn: a prompt's shared first turn (``conversation_id`` empty) or a later turn of one
    conversation. ``candidates`` is empty while ``status`` is ``pending``; the worker fills it."""

    __tablename__ = "candidate_sets"
    id: Mapped[int] = mapped_column(primary_key=True)
    prompt_id: Mapped[str] = mapped_column(ForeignKey("prompts.id"), index=True)
    conversation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("conversations.id"), index=True)
    turn: Mapped[int] = mapped_column(default=1)
    context: Mapped[list[Any]]  # chat messages, ending with the user's message the candidates answer
    candidates: Mapped[list[Any]] = mapped_column(default=list)
    sampler: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | ready | failed
    error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now)
    ready_at: Mapped[Optional[datetime]]
    checks: Mapped[Optional[list[Any]]]  # generated answers the worker's checks refused: {problem, text, done}
    __table_args__ = (UniqueConstraint("conversation_id", "turn"),)


class Choice(Base):
    __tablename__ = "choices"
    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    candidate_set_id: Mapped[int] = mapped_column(ForeignKey("candidate_sets.id"))
    turn: Mapped[int]
    chosen: Mapped[int]  # index into the set's candidates
    position: Mapped[int]  # where the chosen candidate was on the screen (0 = first)
    order: Mapped[list[Any]]  # the candidates' indices in the order they were shown
    ranking: Mapped[Optional[list[Any]]]  # every candidate's index, best first (studies that ask for a ranking)
    rationale: Mapped[Optional[str]] = mapped_column(Text)
    seconds: Mapped[Optional[float]]  # from the server's serving of the task to the submit, measured by the server
    created_at: Mapped[datetime] = mapped_column(default=now)
    __table_args__ = (UniqueConstraint("conversation_id", "turn"),
                      UniqueConstraint("person_id", "nonce", name="uq_choices_person_id_nonce"))


def database_url(db: str | Path) -> str:
    """A SQLAlchemy URL from a URL or a SQLite file path."""
    text = str(db)
    return text if "://" in text else f"sqlite:///{Path(text).expanduser().resolve()}"


def engine_for(db: str | Path, read_only: bool = False) -> Engine:
    """An engine for a collection database. On SQLite, transactions queue for the one writer's lock (30 s at most)
    and commit to a write-ahead log; ``read_only`` opens the file read-only instead (``mode=ro``: no switch to the
    write-ahead log, no lock taken), for a reader that must leave the file as it found it, someone else's included."""
    url = database_url(db)
    if url.startswith("sqlite") and read_only:
        path = quote(url.removeprefix("sqlite:///"))
        return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", connect_args={"timeout": 30})
    if url.startswith("sqlite"):
        from sqlalchemy import event

        folder = Path(url.removeprefix("sqlite:///")).parent
        if not folder.is_dir():  # SQLite would fail at the first query, as "unable to open database file"
            raise DatasetError(db, f"no folder {folder} to keep the database in; create it or give another path")
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:
            connection.isolation_level = None  # transactions begin below, not in the driver
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged choice survives a killed server
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection) -> None:
            # Take the write lock at the start: a transaction that reads, then writes after another writer committed
            # would fail at once instead of waiting its turn.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_size=20, max_overflow=20, pool_recycle=3600)


SQLITE_HEADER = b"SQLite format 3\x00"  # the first bytes of every SQLite database file


def _masked(text: str) -> str:
    """``text`` with the password of any database URL in it as ***: an error names a server, never its password."""
    return re.sub(r"(://[^:/@\s]*:)[^@/\s]*@", r"\1***@", text)


def _as_shown(choice: Choice, candidate_set: CandidateSet) -> dict:
    """A choice's ``candidates`` as the person saw them: the answers of the set it showed (its ``order``, which is k
    of a larger pool's; every answer where the set was the pool), in the set's order, with ``chosen`` and
    ``ranking`` as indices among them, and ``shown``, their indices in the set. Answers generated but not shown are
    left out: they were never compared, so none of them counts as rejected."""
    shown = sorted(choice.order)
    index = {candidate: i for i, candidate in enumerate(shown)}
    return {"candidates": [candidate_set.candidates[i]["text"] for i in shown], "chosen": index[choice.chosen],
            "ranking": None if choice.ranking is None else [index[c] for c in choice.ranking], "shown": shown}


def load_collection(db: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A collection database's choices -> (comparisons, annotators) in our long columns; each conversation's turns
    continue from the response chosen before, as Community Alignment's do. A SQLite file is opened read-only: reading
    (an export, learn's ``collect:`` source) never changes it."""
    url = database_url(db)
    shown = _masked(str(db))
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise DatasetError(shown, "no collection database (no such file)")
        with path.open("rb") as fh:  # before SQLite opens it: it would make any empty file a database in WAL mode
            if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise DatasetError(shown, "not a collection database (not an SQLite file)")
    try:
        engine = engine_for(db, read_only=True)
    except ArgumentError as exc:  # e.g. a URL whose driver SQLAlchemy does not know
        raise DatasetError(shown, f"not a database URL ({_masked(str(exc))})") from None
    try:
        with Session(engine) as session:
            choices = session.execute(select(Choice, CandidateSet, Prompt, Conversation.assigned,
                                             Conversation.probability)
                                      .join(CandidateSet, Choice.candidate_set_id == CandidateSet.id)
                                      .join(Prompt, CandidateSet.prompt_id == Prompt.id)
                                      .join(Conversation, Choice.conversation_id == Conversation.id)
                                      .order_by(Choice.conversation_id, Choice.turn)).all()
            people = session.scalars(select(Person).order_by(Person.id)).all()
            rows = [{"comparison_id": f"{c.conversation_id}-{c.turn}", "conversation_id": str(c.conversation_id),
                     "turn": c.turn, "annotator_id": str(c.person_id), "context": s.context, "prompt_id": p.id,
                     **_as_shown(c, s), "language": p.language, "feedback": c.rationale or None,
                     "seconds": c.seconds, "position": c.position, "assigned": assigned, "probability": probability}
                    for c, s, p, assigned, probability in choices]
            annotators = pd.DataFrame([{"annotator_id": str(p.id), **(p.survey or {})} for p in people]
                                      or {"annotator_id": []})
    except DatabaseError as exc:  # a file that is no database, a database without a study's tables, a server down
        raise DatasetError(shown, f"cannot read it as a collection database ({_masked(str(exc.orig))})") from None
    finally:
        engine.dispose()
    comparisons = pd.DataFrame(rows, columns=["comparison_id", "conversation_id", "turn", "annotator_id", "context",
                                              "candidates", "chosen", "language", "feedback", "prompt_id", "seconds",
                                              "position", "ranking", "assigned", "probability", "shown"])
    if comparisons.empty:
        raise DatasetError(db, "no choices collected yet")
    check_comparisons(comparisons, None, db)
    return comparisons, annotators
