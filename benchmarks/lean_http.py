"""A lean HTTP/1.1 client for the load benchmarks: one keep-alive connection per simulated person on raw asyncio
streams, a request written as one buffer and a reply read by its Content-Length.

Why not httpx: at 1,000 people the load generator must offer 120 choices/s from one core, and httpx's async client
spends most of that core on its own machinery (its connection pool, h11's state machine, per-request objects): see
benchmarks/RESULTS.md, "the load generator's own CPU". This speaks only what ``pluralign collect serve`` answers
(a status line, headers, a body of known length), and sends a request again on a fresh connection when the old one
drops before a whole reply, as a browser's retry would.
"""

from __future__ import annotations

import asyncio
import json

RETRIES = 3  # tries of one request whose connection drops before a reply (httpx's transport errors, before)


class Dropped(Exception):
    """A connection closed or timed out before a whole reply, ``RETRIES`` times."""


class Reply:
    """A reply: its status and body (``json()`` reads it)."""

    __slots__ = ("status_code", "content")

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code, self.content = status_code, content

    def json(self):
        return json.loads(self.content)


class Connection:
    """One client's keep-alive connection to ``host``:``port``, opened at its first request and again after a drop;
    ``errors`` gets the name of each drop (as the benchmark counts them)."""

    def __init__(self, host: str, port: int, errors: list[str], timeout: float = 60) -> None:
        self.host, self.port, self.errors, self.timeout = host, port, errors, timeout
        self.head = f"Host: {host}:{port}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: dict | None = None) -> Reply:
        """Send ``method`` ``path`` (``body`` as JSON) and read the whole reply; sent again, the same bytes, on a new
        connection when this one drops first (at most ``RETRIES`` tries)."""
        data = b"" if body is None else json.dumps(body).encode()
        message = b"".join((f"{method} {path} HTTP/1.1\r\n".encode(), self.head,
                            b"Content-Type: application/json\r\nContent-Length: ", str(len(data)).encode(),
                            b"\r\n\r\n", data))
        for attempt in range(RETRIES):
            try:
                async with asyncio.timeout(self.timeout):
                    return await self._exchange(message)
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                self.errors.append(type(exc).__name__)
                self.close()
        raise Dropped(f"{method} {path}: the connection dropped {RETRIES} times")

    async def _exchange(self, message: bytes) -> Reply:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(message)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status, length, close = int(lines[0].split(b" ", 2)[1]), 0, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                close = value.strip().lower() == b"close"
            elif name == b"transfer-encoding":  # never from the collect app's routes: say so rather than misread
                raise ValueError(f"a chunked reply ({lines[0].decode()}): this client reads Content-Length only")
        content = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return Reply(status, content)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
