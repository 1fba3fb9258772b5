"""What the two web apps (``pluralign view``, ``pluralign collect serve``) share with the commands that serve them.

No traceback reaches a user: a request that fails inside a route gets a short 500 (JSON under ``/api/``, a line of
text elsewhere) and the server's log one line naming the request and the error; uvicorn's own log formats any
exception on one line too. A bad ``--host`` or ``--port`` is found before uvicorn starts, as an ``InputError``
(one line, exit 2) instead of uvicorn's log line and exit 1.
"""

from __future__ import annotations

import copy
import logging
import socket
import traceback
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import DefaultFormatter

from .errors import InputError

LOG = logging.getLogger("pluralign.serving")
INTERNAL = "internal error: a bug in pluralign, written to the server's log; try again, or tell whoever runs this server"


def answer_errors(app: FastAPI) -> None:
    """Make ``app`` answer a request whose route raised with a short 500, and log it as one line. Middleware added
    later wraps it (starlette), so its 500 still passes through theirs (collect's security headers)."""
    app.add_middleware(AnswerErrors)


class AnswerErrors:
    """Plain ASGI middleware (not starlette's ``@app.middleware("http")``, whose task group and memory streams cost
    collect's request path a third of a millisecond each): a request whose route raised before answering gets the
    short 500; one that raised mid-answer is left to the server, as nothing can be sent in its place."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def sending(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            LOG.error("%s %s failed: %s (a bug in pluralign)", scope["method"], scope["path"], one_line(exc))
            if started:
                raise
            answer = (JSONResponse({"detail": INTERNAL}, status_code=500) if scope["path"].startswith("/api/")
                      else PlainTextResponse(INTERNAL, status_code=500))
            await answer(scope, receive, send)


def one_line(exc: BaseException) -> str:
    """``exc`` as Python's last traceback line (``ValueError: ...``), its own lines joined."""
    return " ".join("".join(traceback.format_exception_only(exc)).split())


class OneLineFormatter(DefaultFormatter):
    """uvicorn's formatter with an exception on the record's own line (``...: ValueError: ...``), not a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and record.exc_info[1] is not None:
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None,
                                            "msg": f"{record.getMessage()}: {one_line(record.exc_info[1])}",
                                            "args": ()})
        return super().format(record)


def log_config() -> dict[str, Any]:
    """uvicorn's logging config with every exception on one line and this module's lines beside uvicorn's."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["default"]["()"] = f"{__name__}.OneLineFormatter"
    config["loggers"][LOG.name] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def check_address(host: str, port: int) -> None:
    """An ``InputError`` unless this machine can listen on ``host``:``port`` now (bound and let go at once, so that
    uvicorn binds it next: a port another server holds, a host name that resolves nowhere, a port below 1024)."""
    if not 0 < port < 65536:
        raise InputError(f"--port {port}: a port is a number from 1 to 65535")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError(f"--host {host}: not an address to listen on ({getattr(exc, 'strerror', None) or exc})") \
            from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a closed port's wait is fine
        try:
            probe.bind(address)
        except OSError as exc:
            raise InputError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port or --host") \
                from None


def serve(app: FastAPI | str, host: str, port: int, **options: Any) -> None:
    """Serve ``app`` with uvicorn on ``host``:``port`` (``check_address`` it first, before anything slow loads),
    warnings and errors logged one line each. With ``workers`` (more than one) in ``options``, ``app`` is the import
    string of a factory (``factory=True``) that each of uvicorn's worker processes calls."""
    uvicorn.run(app, host=host, port=port, log_level="warning", log_config=log_config(), **options)
