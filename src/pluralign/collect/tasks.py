"""A person's current task, read (or assigned) inside a transaction that holds the person's lock: the read side of the
store, which ``Store.task`` runs alone and ``Store.choose_then_task`` runs after a choice in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from sqlalchemy import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError

from ..data.collection import now
from . import queries
from .assignment import Assigner
from .core import screen_order
from .study import Study


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


class Tasks:
    """The store's side that reads a person's task (``Store`` is one: ``engine``, ``study`` and ``assigner`` are its)."""

    engine: Engine
    study: Study
    assigner: Assigner

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
                    return self._next(connection, person_id, language, conversations)
            except IntegrityError:
                continue
        raise RuntimeError("could not assign a task")

    def _next(self, connection: Connection, person_id: int, language: str, conversations: Sequence) -> Task | None:
        """The task of a person whose ``conversations`` (rows with ``id``, ``prompt_id``, ``finished``, ``shown``) are
        as given, inside ``connection``'s transaction, which holds the person's lock (``_lock``)."""
        task = self._current(connection, person_id, conversations) or self._assign(
            connection, person_id, language, conversations)
        if task is None:
            return None
        if task.status == "pending" and task.turn > 1 and task.waited > self.study.timeout:
            error = f"no answers after {self.study.timeout:g} s"
            connection.execute(queries.TIMED_OUT, {"set_id": task.set_id, "why": error})
            task = replace(task, status="failed", error=error)
        return replace(task, finished=sum(c.finished for c in conversations))

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
