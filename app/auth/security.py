"""Password hashing (pwdlib, Argon2id) and access tokens (PyJWT, HS256). Pure and sync."""

import os
import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

ALGORITHM = "HS256"
# PASSWORD_HASH_COST=test trades strength for speed; only the test suite sets it.
_ARGON2 = (
    Argon2Hasher(time_cost=1, memory_cost=8192)
    if os.environ.get("PASSWORD_HASH_COST") == "test"
    else Argon2Hasher()
)
_hasher = PasswordHash((_ARGON2, BcryptHasher()))
# Verified against when the user is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("atrium-timing-equaliser")


SHARE_AUDIENCE = "atrium-share"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: int  # unix seconds


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """(valid, a new hash when the stored one uses an outdated scheme)."""
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False, None
    try:
        return _hasher.verify_and_update(password, password_hash)
    except Exception:  # an unreadable stored hash is a failed login, not a crash
        return False, None


def create_access_token(
    key: str, *, user_id: uuid.UUID, session_id: uuid.UUID, issued_at: datetime, expires_at: datetime
) -> str:
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def decode_access_token(key: str, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token, key, algorithms=[ALGORITHM], options={"require": ["exp", "iat", "sub", "sid"]}
        )
        return TokenClaims(
            user_id=uuid.UUID(claims["sub"]),
            session_id=uuid.UUID(claims["sid"]),
            expires_at=int(claims["exp"]),
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc


def create_share_token(key: str, *, share_id: uuid.UUID, binding: str, expires_at: datetime) -> str:
    """An unlock token for one share link. `binding` names the link's current password, so
    changing or removing it (or deleting the link) invalidates every token at once."""
    claims = {
        "aud": SHARE_AUDIENCE,
        "sub": str(share_id),
        "pwd": binding,
        "exp": int(expires_at.timestamp()),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def decode_share_token(key: str, token: str) -> tuple[uuid.UUID, str]:
    """(share id, password binding) of a valid, unexpired unlock token."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=SHARE_AUDIENCE,
            options={"require": ["exp", "aud", "sub", "pwd"]},
        )
        return uuid.UUID(claims["sub"]), str(claims["pwd"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc
