"""The candidate sets a study waits on: which the worker generates next, the answers (or the failure) it stores, and
a failed set asked for again. Every write is one transaction, as in the rest of the store."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..data.collection import CandidateSet, Prompt, now


class SetQueue:
    """The store's side that the candidate worker serves (``Store`` is one; ``engine`` is the study's database)."""

    engine: Engine

    def retry(self, set_id: int) -> None:
        """Ask the worker again for a set whose generation failed."""
        with Session(self.engine) as session, session.begin():
            candidate_set = session.get(CandidateSet, set_id)
            if candidate_set is not None and candidate_set.status == "failed":
                candidate_set.status, candidate_set.error, candidate_set.created_at = "pending", None, now()

    def pending(self, limit: int) -> list[dict]:
        """Sets waiting for candidates, as the samplers' prompts (``id`` is the set's, with its ``turn``): a person's
        live turn before the first turns generated ahead."""
        with Session(self.engine) as session:
            rows = session.execute(select(CandidateSet, Prompt.language).join(Prompt)
                                   .where(CandidateSet.status == "pending")
                                   .order_by(CandidateSet.conversation_id.is_(None), CandidateSet.id).limit(limit)).all()
            return [{"id": s.id, "turn": s.turn, "text": s.context[-1]["content"], "language": language,
                     "context": s.context[:-1]}
                    for s, language in rows]

    def fill(self, set_id: int, candidates: list[dict] | None, error: str | None = None,
             checks: list[dict] | None = None) -> None:
        """Store a set's generated candidates (or why generation failed), and add the answers its checks refused to
        those of earlier tries."""
        with Session(self.engine) as session, session.begin():
            candidate_set = session.get(CandidateSet, set_id)
            candidate_set.checks = [*(candidate_set.checks or []), *(checks or [])] or None
            if candidates is None:
                candidate_set.status, candidate_set.error = "failed", error
            else:
                candidate_set.candidates, candidate_set.status, candidate_set.ready_at = candidates, "ready", now()
