"""A study's database: migrations, invites, the next task of a person, choices committed once (and, through
``sets.SetQueue``, the candidate sets to fill).

Every write is one transaction. A choice carries the client's nonce (unique per person), so a double click or a
retried submit finds the choice already there and records nothing more; a choice is acknowledged only after its
commit, and SQLite runs with ``synchronous=FULL``, so a killed server keeps every acknowledged choice.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass, replace
from typing import Sequence
from importlib import resources

import pandas as pd
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Row, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ..errors import InputError
from ..data.collection import CandidateSet, Person, Prompt, Setting, engine_for, now
from . import queries
from .assignment import Assigner
from .core import screen_order
from .sets import SetQueue
from .study import Study


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Task:
    """What a person answers now: a turn of one conversation, and its candidate set (pending until generated)."""

    conversation_id: int
    prompt_id: str
    turn: int
    set_id: int | None  # None: the person's next message has not been turned into a set yet
    status: str
    context: list
    candidates: list
    error: str | None
    waited: float  # seconds since the set was asked for
    order: list[int]  # the indices of the candidates shown, in the order the person sees them (empty until ready)
    finished: int = 0  # conversations the person has finished (for the progress line)


class TaskError(InputError):
    """A submit that chose an answer that was not shown."""


class Store(SetQueue):
    """The collection database of one study (``study.database``: a SQLite file or a URL); the candidate sets its
    worker fills are ``SetQueue``'s."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self.engine = engine_for(study.database)
        self.assigner = Assigner(study)
        self.rule, self.fits = self.assigner.rule, self.assigner.fits

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to ``revision``, the newest by default (creates it in an empty database). A database
        server that cannot be reached is an ``InputError`` naming its URL (without the password)."""
        config = Config()
        with resources.as_file(resources.files("pluralign.collect") / "migrations") as folder:
            config.set_main_option("script_location", str(folder))
            with self._reached() as connection, connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)

    def _reached(self) -> Connection:
        """A connection to the study's database, or an ``InputError`` saying why there is none."""
        try:
            return self.engine.connect()
        except OperationalError as exc:
            url = self.engine.url.render_as_string(hide_password=True)  # a password as ***
            reason = next(iter(str(exc.orig or exc).strip().splitlines()), type(exc.orig or exc).__name__)
            raise InputError(f"cannot reach the study's database {url} ({reason}); start its server, or correct "
                             "[study] database") from None

    def secret(self) -> bytes:
        """The study's secret for form tokens: made once, kept in the database, so a restart keeps forms valid."""
        with Session(self.engine) as session, session.begin():
            row = session.get(Setting, "secret")
            if row is None:
                row = Setting(key="secret", value=secrets.token_hex(32))
                session.add(row)
            return row.value.encode()

    def add_prompts(self, prompts: pd.DataFrame) -> int:
        """Add prompts not yet in the study, in its languages only (a person is given prompts in their invite's
        language): the first ``study.prompts_limit`` of each language, of which the first ``study.shared`` are
        answered by everyone in that language; each with a pending first-turn candidate set. Returns how many were
        new."""
        with Session(self.engine) as session, session.begin():
            known = dict(session.execute(select(Prompt.id, Prompt.language)).all())
            per_language, limit = Counter(known.values()), self.study.prompts_limit or len(prompts)
            rows = []
            for r in prompts.to_dict("records"):
                n = per_language[r["language"]]
                if str(r["id"]) in known or r["language"] not in self.study.languages or n >= limit:
                    continue
                rows.append({**r, "shared": n < self.study.shared})
                per_language[r["language"]] += 1
            order = len(known)
            if rows:  # a Core insert: the ORM's would read back ``people``, which an older schema has not got yet
                session.execute(insert(Prompt.__table__), [
                    {"id": str(r["id"]), "text": r["text"], "language": r["language"], "shared": r["shared"],
                     "position": order + i} for i, r in enumerate(rows)])
            session.add_all(CandidateSet(prompt_id=str(r["id"]), turn=1, sampler=self.study.sampler,
                                         context=[{"role": "user", "content": r["text"]}]) for r in rows)
        return len(rows)

    def invite(self, n: int, language: str, label: str | None = None) -> list[str]:
        """Make ``n`` people with fresh invite tokens; only the tokens' hashes are stored, so print them now."""
        tokens = [secrets.token_urlsafe(24) for _ in range(n)]
        with Session(self.engine) as session, session.begin():
            session.add_all(Person(token_hash=token_hash(t), language=language, label=label) for t in tokens)
        return tokens

    def person(self, token: str) -> Row | None:
        """The person of an invite token: their ``id``, ``language``, ``consented_at``, ``declined_at`` and ``survey``
        (None for a token nobody was given)."""
        with self.engine.begin() as connection:
            return connection.execute(queries.PERSON, {"token_hash": token_hash(token)}).first()

    def consent(self, person_id: int) -> None:
        """Record that the person agreed, unless they declined: a decline is final."""
        with self.engine.begin() as connection:
            connection.execute(queries.CONSENT, {"person": person_id, "at": now()})

    def decline(self, person_id: int) -> None:
        """Record that the person declined on the consent page (nothing more is asked of them); one who has agreed
        already keeps their consent."""
        with self.engine.begin() as connection:
            connection.execute(queries.DECLINE, {"person": person_id, "at": now()})

    def save_survey(self, person_id: int, answers: dict[str, str]) -> bool:
        """Keep the person's survey ``answers`` (blanks left out); False, keeping the old ones, once they have made a
        choice, so nobody moves between the groups their choices are already counted in."""
        with self.engine.begin() as connection:
            self._lock(connection, person_id)
            if connection.execute(queries.ANY_CHOICE, {"person": person_id}).first() is not None:
                return False
            connection.execute(queries.SURVEY, {"person": person_id,
                                                "answers": {k: v for k, v in answers.items() if v}})
            return True

    def task(self, person_id: int) -> Task | None:
        """The person's current task: the open conversation's next turn, or a new conversation (its prompt, among
        those in the person's language, and the answers of its pool shown: ``Assigner``); None when their quota or
        those prompts are used up. A later turn's set still pending after the study's timeout is marked failed here,
        so the person is offered a retry instead of a spinner forever. Three statements when the task is open (four
        at the first read of a set written after its assignment), six when one is assigned (eight in an active study
        after the person's warm-up): the person's conversations are read once, and no statement reads the whole
        study."""
        for _ in range(5):  # two tabs asking at once: the loser of the unique (person, prompt) insert asks again
            try:
                with self.engine.begin() as connection:
                    language = self._lock(connection, person_id)
                    conversations = connection.execute(queries.CONVERSATIONS, {"person": person_id}).all()
                    task = self._current(connection, person_id, conversations) or self._assign(
                        connection, person_id, language, conversations)
                    if task is None:
                        return None
                    if task.status == "pending" and task.turn > 1 and task.waited > self.study.timeout:
                        error = f"no answers after {self.study.timeout:g} s"
                        connection.execute(queries.TIMED_OUT, {"set_id": task.set_id, "why": error})
                        task = replace(task, status="failed", error=error)
                    return replace(task, finished=sum(c.finished for c in conversations))
            except IntegrityError:
                continue
        raise RuntimeError("could not assign a task")

    @staticmethod
    def _lock(connection: Connection, person_id: int) -> str:
        """One person's transactions take turns (a row lock on PostgreSQL; SQLite's transactions already do), so two
        tabs or a double click never see a turn half-answered. Returns the person's language."""
        return connection.execute(queries.LOCK, {"person": person_id}).scalar()

    def _current(self, connection: Connection, person_id: int, conversations: Sequence[Row]) -> Task | None:
        """The task of the person's open conversation among ``conversations`` (None: none is open), inside
        ``connection``'s transaction, which holds the person's lock (``_lock``): its newest set (each turn's choice
        with a next message made the next turn's), or the prompt's first-turn set when it has none of its own yet."""
        open_ = next((c for c in conversations if not c.finished), None)
        if open_ is None:
            return None
        s = connection.execute(queries.SET_OF, {"conversation": open_.id, "prompt": open_.prompt_id}).one()
        shown = open_.shown
        if s.turn == 1 and s.status == "ready" and shown is None:  # assigned while the set was pending
            shown = self.assigner.shown(connection, open_.id, person_id, s)
        return self._task(person_id, open_.id, open_.prompt_id, s, shown)

    def _assign(self, connection: Connection, person_id: int, language: str,
                conversations: Sequence[Row]) -> Task | None:
        """A new conversation by the study's rule (``Assigner.new``) for a person whose ``conversations`` are all
        finished; None when their quota or the prompts in their ``language`` are used up."""
        assigned = self.assigner.new(connection, person_id, language, conversations)
        return None if assigned is None else self._task(person_id, *assigned)

    def _task(self, person_id: int, conversation_id: int, prompt_id: str, s: Row, shown: list[int] | None) -> Task:
        """The task of conversation ``conversation_id`` on its set ``s``: a first turn shows the answers ``shown`` of
        its set (k of its pool), a later turn every answer, each in the person's own order (``core.screen_order``)."""
        order = [] if s.status != "ready" else screen_order(
            self.study.seed, person_id, s.id, shown if s.turn == 1 else range(len(s.candidates)))
        return Task(conversation_id, prompt_id, s.turn, s.id, s.status, s.context, s.candidates, s.error,
                    (now() - s.created_at).total_seconds(), order)

    def choose(self, person_id: int, *, nonce: str, set_id: int, position: int, rationale: str | None,
               next_message: str | None, seconds: float | None, ranking: list[int] | None = None) -> str:
        """Record the choice of the candidate shown at ``position`` (and ``ranking``, every screen position best first,
        when given) in one transaction, with the next turn's pending set when the person wrote a next message (and
        the study allows another turn). Returns ``recorded``, ``duplicate`` (this person sent this nonce before: nothing
        is written twice) or ``stale`` (the set is not the person's open task: answered already, or not theirs);
        raises TaskError for a position not shown or a ranking that is not one of the shown answers, the chosen
        first. Five statements: the lock, the open conversation, its set, the choice, the turn's end; a nonce sent
        before is looked for only when the set is not open (one used again on an open set trips the unique
        constraint)."""
        try:
            with self.engine.begin() as connection:
                self._lock(connection, person_id)
                conversation = connection.execute(queries.OPEN_CONVERSATIONS, {"person": person_id}).all()
                current = self._current(connection, person_id, conversation)
                if current is None or current.set_id != set_id or current.status != "ready":
                    # a set answered with this nonce is no longer open: read after the lock, so a twin submit sees it
                    return self._sent_before(connection, person_id, nonce)
                order = current.order  # the answers shown: one of a pool's others cannot be chosen
                if not 0 <= position < len(order):
                    raise TaskError(f"choose one of the {len(order)} answers")
                if ranking is not None and (sorted(ranking) != list(range(len(order))) or ranking[0] != position):
                    raise TaskError(f"rank each of the {len(order)} answers once, the chosen one first")
                chosen = order[position]
                connection.execute(queries.NEW_CHOICE, dict(
                    nonce=nonce, person_id=person_id, conversation_id=current.conversation_id, candidate_set_id=set_id,
                    turn=current.turn, chosen=chosen, position=position, order=order, rationale=rationale or None,
                    seconds=seconds, ranking=None if ranking is None else [order[p] for p in ranking]))
                if next_message and current.turn < self.study.turns:
                    context = [*current.context, {"role": "assistant", "content": current.candidates[chosen]["text"]},
                               {"role": "user", "content": next_message}]
                    connection.execute(queries.NEW_SET, dict(
                        prompt_id=current.prompt_id, conversation_id=current.conversation_id, turn=current.turn + 1,
                        context=context, sampler=self.study.sampler))
                else:
                    connection.execute(queries.FINISH, {"conversation": current.conversation_id})
            return "recorded"
        except IntegrityError:
            # The same submit raced itself (same nonce), or another tab answered this turn first.
            with self.engine.begin() as connection:
                return self._sent_before(connection, person_id, nonce)

    @staticmethod
    def _sent_before(connection: Connection, person_id: int, nonce: str) -> str:
        """``duplicate`` when this person sent a choice with ``nonce`` before, else ``stale``: nonces are the person's
        own, so another's never matches."""
        found = connection.execute(queries.NONCE, {"person": person_id, "nonce": nonce}).first()
        return "stale" if found is None else "duplicate"
