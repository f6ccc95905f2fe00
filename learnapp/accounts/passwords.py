"""Password hashing (Argon2id) and the password rules: length and a common-password check.

No composition rules (NIST SP 800-63B, ASVS 6.2): at least 8 characters, at most 128, not a
commonly used password, not containing the account name.
"""

import functools
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 8
MAX_LENGTH = 128
# A shorter user name is too likely to occur by chance in a good password to refuse it.
MIN_USERNAME_CHECKED = 3
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


@functools.cache
def _hasher(params: tuple) -> PasswordHasher:
    return PasswordHasher(**dict(params))


def hasher() -> PasswordHasher:
    """argon2-cffi's defaults (Argon2id, 64 MiB, t=3, p=4); tests lower them for speed."""
    return _hasher(tuple(sorted(current_app.config["ARGON2_PARAMS"].items())))


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same effort as a real check, so timing does not reveal the account.
        hasher().hash(password)
        return False
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and line[0] != "#")


def password_problem(password: str, username: str = "") -> str | None:
    """Why a new password is not acceptable, or None. The account's user name (from
    MIN_USERNAME_CHECKED characters) may not appear anywhere in it, in any letter case."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(n)d characters.", n=MAX_LENGTH)
    lowered = password.lower()
    if lowered in common_passwords():
        return _l("This password is too common. Choose another.")
    if len(username) >= MIN_USERNAME_CHECKED and username.lower() in lowered:
        return _l("The password must not contain your user name.")
    return None
