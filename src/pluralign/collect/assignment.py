"""A person's new conversation: its prompt and which answers of the prompt's first-turn set they are shown, by the
study's rule (``active.assign``), kept with why and with what probability (docs/methods.md#active-assignment).

A study may generate a pool of more answers than it shows (``[candidates] pool``). An active rule chooses the prompt
and the k answers together; otherwise the prompt is the rule's and the k answers a uniform random draw from its set,
their probability multiplied into the assignment's. A set not yet written when its prompt is assigned has its answers
drawn once it is (``shown``), with the same seed, so the draw is the same whenever it happens.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sqlalchemy import Connection, Row

from . import queries
from .active import Rule, assign
from .core import shown_subset
from .fits import FitCache
from .study import Study


class Assigner:
    """The assignment of a study's new conversations: its ``rule`` and the cache of its newest fit (``fits``)."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self.rule = Rule(study.policy == "active", study.warmup, study.epsilon, study.min_people)
        self.fits = FitCache()

    def new(self, connection: Connection, person_id: int, language: str,
            conversations: Sequence[Row]) -> tuple[int, str, Row, list[int] | None] | None:
        """A new conversation for a person whose ``conversations`` are all finished, inside ``connection``'s
        transaction (which holds the person's lock): its id, prompt, first-turn set (``queries.FIRST_SET``) and the
        answers shown (None while that set is pending); None when their quota or the prompts in their ``language``
        are used up. Four statements, six in an active study after the person's warm-up."""
        if len(conversations) >= self.study.quota:
            return None
        prompts = connection.execute(queries.PROMPTS_IN, {"language": language}).all()
        fit = answered = None
        if self.rule.active and len(conversations) >= self.rule.warmup:  # two reads more, both indexed
            fit = self.fits.newest(connection)
            answered = connection.execute(queries.FIRST_CHOICES, {"person": person_id}).all()
        # replayable, like the order (a seed sequence takes no negative numbers)
        rng = np.random.default_rng([self.study.seed % 2**32, person_id, len(conversations)])
        assigned = assign(self.rule, [(p.id, p.shared) for p in prompts], {p.id: p.people for p in prompts},
                          {c.prompt_id for c in conversations}, fit, answered or [], rng)
        if assigned is None:
            return None
        first = connection.execute(queries.FIRST_SET, {"prompt": assigned.prompt}).one()
        shown, probability = assigned.shown, assigned.probability
        if shown is None and first.status == "ready":
            shown, drawn = self.draw(person_id, first)
            probability *= drawn
        conversation = connection.execute(queries.NEW_CONVERSATION, {
            "person": person_id, "prompt": assigned.prompt, "assigned": assigned.why, "probability": probability,
            "shown": shown}).scalar()
        # last, so the prompt's row lock (every new person takes the shared prompts first) is held the least
        connection.execute(queries.GIVEN, {"prompt": assigned.prompt})
        return conversation, assigned.prompt, first, shown

    def draw(self, person_id: int, first: Row) -> tuple[list[int], float]:
        """The answers of the first-turn set ``first`` shown to a person whose prompt the rule chose alone, and the
        probability of drawing them (``core.shown_subset``), seeded by the study, the person and the set."""
        rng = np.random.default_rng([self.study.seed % 2**32, person_id, first.id])
        return shown_subset(len(first.candidates), self.study.k, rng)

    def shown(self, connection: Connection, conversation_id: int, person_id: int, first: Row) -> list[int]:
        """The answers shown of a conversation assigned while its first-turn set (``first``, now written) was pending:
        drawn now and kept, their probability multiplied into the assignment's."""
        shown, drawn = self.draw(person_id, first)
        connection.execute(queries.SHOWN, {"conversation": conversation_id, "shown": shown, "drawn": drawn})
        return shown
