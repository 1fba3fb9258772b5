"""The refits of an active study's population model in its database (the ``fits`` table): written by the refit step,
read by the assignment of each new conversation through a cache, so a request reads one primary key, not a model."""

from __future__ import annotations

import threading

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.orm import Session

from ..data.collection import Fit
from .active import ActiveFit


def save_fit(session: Session, fit: ActiveFit, choices: int, kind: str) -> int:
    """Store ``fit`` (made on ``choices`` choices, of model ``kind``); returns its id."""
    return session.scalar(insert(Fit).values(choices=choices, kind=kind, payload=fit.payload()).returning(Fit.id))


def fitted_choices(session: Session) -> int | None:
    """How many choices the newest fit was made on; None before the first."""
    return session.scalar(select(Fit.choices).order_by(Fit.id.desc()).limit(1))


class FitCache:
    """The newest fit, read from the database only when a newer one is there (one indexed read per assignment)."""

    def __init__(self) -> None:
        self._fit: ActiveFit | None = None
        self._lock = threading.Lock()

    def newest(self, connection: Connection) -> ActiveFit | None:
        newest = connection.scalar(select(func.max(Fit.id)))
        with self._lock:
            if newest is not None and (self._fit is None or self._fit.id != newest):
                self._fit = ActiveFit.from_payload(newest, connection.scalar(select(Fit.payload)
                                                                   .where(Fit.id == newest)))
            return self._fit
