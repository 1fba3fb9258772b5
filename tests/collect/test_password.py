"""The admin password's digest (what `collect serve --workers N` hands its processes): it checks the password and
nothing else, survives its text form, and holds nothing of the password."""

from __future__ import annotations

import pytest

from pluralign.collect.password import PasswordDigest
from pluralign.errors import InputError


def test_a_digest_checks_the_password_after_its_text_form_and_holds_none_of_it():
    password = "correct-horse-battery"
    digest = PasswordDigest.of(password)
    text = str(digest)
    read = PasswordDigest.parse(text)
    assert password not in text and password.encode().hex() not in text
    assert [read.matches(p) for p in (password, password, password[:-1], password + " ", "")] == \
        [True, True, False, False, False]  # the second is known from the first check, without a scrypt
    assert str(PasswordDigest.of(password)) != text  # a new salt each time


def test_a_short_password_has_no_digest():
    with pytest.raises(InputError, match="at least 12 characters"):
        PasswordDigest.of("eleven-char")
