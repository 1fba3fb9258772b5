"""A study's database: migrations, invites, the next task of a person, choices committed once (and, through
``sets.SetQueue``, the candidate sets to fill).

Every write is one transaction. A choice carries the client's nonce (unique per person), so a double click or a
retried submit finds the choice already there and records nothing more; a choice is acknowledged only after its
commit, and SQLite runs with ``synchronous=FULL``, so a killed server keeps every acknowledged choice.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter, namedtuple
from importlib import resources
from typing import Sequence

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
from .sets import SetQueue
from .study import Study
from .tasks import Task, Tasks

__all__ = ["Store", "Task", "TaskError", "token_hash"]
# a conversation as ``Tasks`` reads it, for the one a choice has just finished (rows cannot be changed)
Finished = namedtuple("Finished", "id prompt_id finished shown")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TaskError(InputError):
    """A submit that chose an answer that was not shown."""


class Store(SetQueue, Tasks):
    """The collection database of one study (``study.database``: a SQLite file or a URL); a person's task is read by
    ``Tasks``, the candidate sets its worker fills are ``SetQueue``'s."""

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
        submit = dict(nonce=nonce, set_id=set_id, position=position, rationale=rationale, next_message=next_message,
                      seconds=seconds, ranking=ranking)
        try:
            with self.engine.begin() as connection:
                self._lock(connection, person_id)
                conversation = connection.execute(queries.OPEN_CONVERSATIONS, {"person": person_id}).all()
                return self._record(connection, person_id, conversation, **submit)[0]
        except IntegrityError:
            # The same submit raced itself (same nonce), or another tab answered this turn first.
            with self.engine.begin() as connection:
                return self._sent_before(connection, person_id, nonce)

    def choose_then_task(self, person_id: int, *, nonce: str, set_id: int, position: int, rationale: str | None,
                         next_message: str | None, seconds: float | None,
                         ranking: list[int] | None = None) -> tuple[str, Task | None]:
        """``choose`` (the same arguments), then the person's ``task`` after it, in one transaction: what a client
        that goes on to the next task would ask for in two requests (two more transactions, the person's lock and
        conversations read twice), for the JSON API's ``?task=1``. Should the transaction fail on a unique constraint
        (a twin submit, or two tabs assigned at once), nothing of it is kept and the two run apart, as two requests
        would."""
        submit = dict(nonce=nonce, set_id=set_id, position=position, rationale=rationale, next_message=next_message,
                      seconds=seconds, ranking=ranking)
        try:
            with self.engine.begin() as connection:
                language = self._lock(connection, person_id)
                conversations = connection.execute(queries.CONVERSATIONS, {"person": person_id}).all()
                outcome, finished = self._record(connection, person_id, conversations, **submit)
                conversations = [Finished(c.id, c.prompt_id, True, c.shown) if c.id == finished else c
                                 for c in conversations]
                return outcome, self._next(connection, person_id, language, conversations)
        except IntegrityError:
            return self.choose(person_id, **submit), self.task(person_id)

    def _record(self, connection: Connection, person_id: int, conversations: Sequence[Row], *, nonce: str,
                set_id: int, position: int, rationale: str | None, next_message: str | None, seconds: float | None,
                ranking: list[int] | None) -> tuple[str, int | None]:
        """``choose``'s work inside ``connection``'s transaction, which holds the person's lock, given the person's
        ``conversations`` (the open one at least): the outcome, and the conversation the choice finished (None:
        none, or a next turn pending)."""
        current = self._current(connection, person_id, conversations)
        if current is None or current.set_id != set_id or current.status != "ready":
            # a set answered with this nonce is no longer open: read after the lock, so a twin submit sees it
            return self._sent_before(connection, person_id, nonce), None
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
            return "recorded", None
        connection.execute(queries.FINISH, {"conversation": current.conversation_id})
        return "recorded", current.conversation_id

    @staticmethod
    def _sent_before(connection: Connection, person_id: int, nonce: str) -> str:
        """``duplicate`` when this person sent a choice with ``nonce`` before, else ``stale``: nonces are the person's
        own, so another's never matches."""
        found = connection.execute(queries.NONCE, {"person": person_id, "nonce": nonce}).first()
        return "stale" if found is None else "duplicate"
