"""The admin password as a server keeps it: a salted scrypt digest, not the password. `collect serve --workers N`
hands its processes this digest in their environment, where any process of the same user could read it
(``/proc/PID/environ``) and every child inherits it: the password itself is never there, and the digest costs a guess
a scrypt to try offline (the scrypt paper's parameters for interactive logins)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ..errors import InputError

LENGTH = 12  # the admin password's least length
SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # 16 MiB and about 40 ms of CPU a try


def check_password(password: str) -> None:
    """An ``InputError`` for an admin password shorter than ``LENGTH``."""
    if len(password) < LENGTH:
        raise InputError(f"the admin password needs at least {LENGTH} characters; give a longer one, or none for a "
                         "new one printed at start")


class PasswordDigest:
    """Checks a password against a salted scrypt digest in constant time. The right password, once checked, is
    known again by a keyed SHA-256 of it (kept in memory only), so the admin's every page does not pay a scrypt."""

    def __init__(self, salt: bytes, digest: bytes) -> None:
        self.salt, self.digest, self._known = salt, digest, b""

    @classmethod
    def of(cls, password: str) -> PasswordDigest:
        """The digest of ``password`` (checked by ``check_password``) with a new salt."""
        check_password(password)
        salt = secrets.token_bytes(16)
        return cls(salt, _scrypt(password, salt))

    @classmethod
    def parse(cls, text: str) -> PasswordDigest:
        """The digest that ``str()`` wrote."""
        salt, digest = text.split(":")
        return cls(bytes.fromhex(salt), bytes.fromhex(digest))

    def __str__(self) -> str:
        return f"{self.salt.hex()}:{self.digest.hex()}"

    def matches(self, given: str) -> bool:
        """Whether ``given`` is the password."""
        quick = hmac.new(self.salt, given.encode(), hashlib.sha256).digest()
        if hmac.compare_digest(quick, self._known):
            return True
        if hmac.compare_digest(_scrypt(given, self.salt), self.digest):
            self._known = quick
            return True
        return False


def _scrypt(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
