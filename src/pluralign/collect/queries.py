"""The statements of a person's requests (consent, survey, task, choice), built once on the tables as SQLAlchemy Core.

A panel's server spends its CPU here: built per request through ORM sessions, the same statements cost about twice
as much Python per request (their construction, the ORM's execution layer, sessions), in a profile of
``Store.task`` and ``Store.choose`` on PostgreSQL. Values are bound at execution (``bindparam``), so each statement
is compiled once and found in SQLAlchemy's cache after.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, case, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable

from ..data.collection import CandidateSet, Choice, Conversation, Person, Prompt, RateCount

people, prompts, conversations = Person.__table__, Prompt.__table__, Conversation.__table__
sets, choices, rates = CandidateSet.__table__, Choice.__table__, RateCount.__table__

PERSON = select(people.c.id, people.c.language, people.c.consented_at, people.c.declined_at, people.c.survey) \
    .where(people.c.token_hash == bindparam("token_hash"))
# one person's transactions take turns: a row lock on PostgreSQL (SQLite's transactions already queue)
LOCK = select(people.c.language).where(people.c.id == bindparam("person")).with_for_update()
CONSENT = update(people).where(people.c.id == bindparam("person"), people.c.declined_at.is_(None),
                               people.c.consented_at.is_(None)).values(consented_at=bindparam("at"))
DECLINE = update(people).where(people.c.id == bindparam("person"), people.c.consented_at.is_(None),
                               people.c.declined_at.is_(None)).values(declined_at=bindparam("at"))
SURVEY = update(people).where(people.c.id == bindparam("person")).values(survey=bindparam("answers"))
ANY_CHOICE = select(choices.c.id).where(choices.c.person_id == bindparam("person")).limit(1)
NONCE = select(choices.c.id).where(choices.c.person_id == bindparam("person"), choices.c.nonce == bindparam("nonce"))

CONVERSATIONS = select(conversations.c.id, conversations.c.prompt_id, conversations.c.finished, conversations.c.shown) \
    .where(conversations.c.person_id == bindparam("person"))
OPEN_CONVERSATIONS = CONVERSATIONS.where(conversations.c.finished.is_(False))
NEW_CONVERSATION = insert(conversations).values(person_id=bindparam("person"), prompt_id=bindparam("prompt"),
                                                 assigned=bindparam("assigned"),
                                                 probability=bindparam("probability"),
                                                 shown=bindparam("shown")).returning(conversations.c.id)
# the answers shown of a conversation assigned while its set was pending, their probability multiplied in
SHOWN = update(conversations).where(conversations.c.id == bindparam("conversation")) \
    .values(shown=bindparam("shown"), probability=conversations.c.probability * bindparam("drawn"))
# what an active assignment reads of a person: the prompt, the chosen candidate and the candidates shown (the
# choice's order) of each first-turn choice
FIRST_CHOICES = select(conversations.c.prompt_id, choices.c.chosen, choices.c.order) \
    .join(choices, choices.c.conversation_id == conversations.c.id) \
    .where(choices.c.person_id == bindparam("person"), choices.c.turn == 1)
FINISH = update(conversations).where(conversations.c.id == bindparam("conversation")).values(finished=True)

PROMPTS_IN = select(prompts.c.id, prompts.c.shared, prompts.c.people) \
    .where(prompts.c.language == bindparam("language")).order_by(prompts.c.position)
GIVEN = update(prompts).where(prompts.c.id == bindparam("prompt")).values(people=prompts.c.people + 1)

_SET = select(sets.c.id, sets.c.turn, sets.c.status, sets.c.context, sets.c.candidates, sets.c.error,
              sets.c.created_at)
_FIRST = and_(sets.c.prompt_id == bindparam("prompt"), sets.c.turn == 1, sets.c.conversation_id.is_(None))
FIRST_SET = _SET.where(_FIRST)  # a prompt's first-turn set, shared by everyone given the prompt
# an open conversation's newest set, or its prompt's first-turn set when it has none of its own yet
SET_OF = _SET.where(or_(sets.c.conversation_id == bindparam("conversation"), _FIRST)) \
    .order_by(sets.c.turn.desc()).limit(1)
TIMED_OUT = update(sets).where(sets.c.id == bindparam("set_id")).values(status="failed", error=bindparam("why"))
NEW_CHOICE, NEW_SET = insert(choices), insert(sets)


def _counted(insert_into) -> Executable:
    """One more event for a key in ``minute``, as one atomic upsert (``insert_into``: the dialect's insert, for its
    ON CONFLICT): a row of an older minute starts over, the minute before becoming ``previous``; a row a minute ahead
    (another process's clock past the turn of the minute first) counts it in its own. Returns the row as it is now."""
    statement = insert_into(rates).values(key=bindparam("key"), minute=bindparam("minute"), count=1, previous=0)
    old, new = rates.c, statement.excluded
    same = old.minute >= new.minute
    return statement.on_conflict_do_update(index_elements=[old.key], set_={
        "previous": case((same, old.previous), (old.minute == new.minute - 1, old.count), else_=0),
        "count": case((same, old.count + 1), else_=1),
        "minute": case((same, old.minute), else_=new.minute)}).returning(old.minute, old.count, old.previous)


# rate limits (web.RateLimit): count an event, read a key's counts, forget minutes no estimate reads any more
COUNT = {"postgresql": _counted(postgresql.insert), "sqlite": _counted(sqlite.insert)}
COUNTS = select(rates.c.minute, rates.c.count, rates.c.previous).where(rates.c.key == bindparam("key"))
FORGET = delete(rates).where(rates.c.minute < bindparam("minute") - 1)
