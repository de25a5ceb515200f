"""Accounts, logins and server-side sessions."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from anyio import to_thread
from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import ratelimit
from app.auth import security
from app.auth.cache import TokenCache, attach
from app.auth.schemas import (
    AuthResult,
    Preferences,
    UserDetail,
    UserLogin,
    UserRead,
    UserRegister,
    UserStats,
    UserUpdate,
)
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, Unauthorized
from app.library import usage
from app.models import AuthSession, User


@dataclass(frozen=True)
class Authenticated:
    user: User
    session: AuthSession


def user_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        email=user.email,
        created_at=user.created_at,
        is_admin=user.is_admin,
        preferences=Preferences.model_validate(user.preferences or {}),
    )


def quota_of(user: User, settings: Settings) -> int:
    return user.storage_quota if user.storage_quota is not None else settings.default_storage_quota


async def register(session: AsyncSession, *, settings: Settings, data: UserRegister) -> AuthResult:
    user = await add_user(session, data=data)
    return await _open_session(session, settings=settings, user=user)


async def add_user(session: AsyncSession, *, data: UserRegister, is_admin: bool = False) -> User:
    """A new account, flushed; the caller commits (register signs in, the CLI does not)."""
    username_key = data.username.lower()
    email = data.email.lower()
    # hashed before the database is asked: no connection held meanwhile, and a taken name costs
    # the same time as a free one
    password_hash = await to_thread.run_sync(security.hash_password, data.password)
    await _refuse_taken(session, username_key=username_key, email=email)
    user = User(
        username=data.username,
        username_key=username_key,
        email=email,
        password_hash=password_hash,
        is_admin=is_admin,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        await session.rollback()
        raise Conflict("username or email already registered", code="username_taken") from exc
    return user


async def _refuse_taken(session: AsyncSession, *, username_key: str, email: str) -> None:
    rows = (
        await session.execute(
            select(User.username_key, User.email).where(
                or_(User.username_key == username_key, User.email == email)
            )
        )
    ).all()
    if any(row.username_key == username_key for row in rows):
        raise Conflict("that username is taken", code="username_taken")
    if rows:
        raise Conflict("that email is already registered", code="email_taken")


async def login(session: AsyncSession, *, settings: Settings, data: UserLogin, client: str) -> AuthResult:
    """Owns the unit of work and commits."""
    identifier = data.username.strip().lower()
    user = (
        await session.execute(
            select(User).where(or_(User.username_key == identifier, User.email == identifier))
        )
    ).scalar_one_or_none()
    buckets = login_buckets(settings, subject=str(user.id) if user else identifier, client=client)
    hit_ids = await ratelimit.hit(
        session, buckets=buckets, window_seconds=settings.login_window_seconds, what="login attempts"
    )
    stored = user.password_hash if user else None
    await session.commit()  # the hit is in and the rest only read: no connection held while hashing
    valid, new_hash = await to_thread.run_sync(security.verify_password, data.password, stored)
    if user is None or not valid:
        raise Unauthorized("wrong username or password", code="invalid_credentials")
    if new_hash:
        user.password_hash = new_hash
    # Only failures count: this attempt is forgotten, and so is the account's guessing so far.
    await ratelimit.forget(session, keys=[buckets[1].key, buckets[2].key], hit_ids=hit_ids)
    return await _open_session(session, settings=settings, user=user)


def login_buckets(settings: Settings, *, subject: str, client: str) -> list[ratelimit.Bucket]:
    """Per address, per account from that address, and per account from anywhere.

    The account's own bucket is keyed by user id (username and email share it) and is five times
    wider, so one address cannot lock an account out, while guessing spread over addresses
    still meets a limit.
    """
    limit = settings.login_attempts
    return [
        ratelimit.Bucket(f"login:ip:{client}", limit),
        ratelimit.Bucket(f"login:user:{subject}:ip:{client}", limit),
        ratelimit.Bucket(f"login:user:{subject}", limit * 5),
    ]


async def _open_session(session: AsyncSession, *, settings: Settings, user: User) -> AuthResult:
    """Owns the unit of work and commits."""
    now = utcnow()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    auth_session = AuthSession(user_id=user.id, created_at=now, expires_at=now + lifetime)
    session.add(auth_session)
    await session.commit()
    token = security.create_access_token(
        settings.signing_key,
        user_id=user.id,
        session_id=auth_session.id,
        issued_at=now,
        expires_at=auth_session.expires_at,
    )
    return AuthResult(user=user_read(user), access_token=token, expires_in=int(lifetime.total_seconds()))


# Built once (every signed-in request may run it); it refreshes rows the session already holds,
# since what the cache keeps must be what the database says now.
SIGNED_IN = (
    select(User, AuthSession)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(AuthSession.id == bindparam("session_id"), User.id == bindparam("user_id"))
    .execution_options(populate_existing=True)
)


async def authenticate(
    session: AsyncSession, *, settings: Settings, token: str, cache: TokenCache | None = None
) -> Authenticated:
    """The token's user and session; from `cache` while nothing they depend on has changed."""
    if cache is not None and (entry := cache.find(token)) is not None:
        user, auth_session = await attach(session, entry)
    else:
        user, auth_session = await _read_signed_in(session, settings=settings, token=token, cache=cache)
    if auth_session.revoked_at is not None or auth_session.expires_at <= utcnow():
        raise Unauthorized("this session has ended", code="invalid_token")
    return Authenticated(user=user, session=auth_session)


async def _read_signed_in(
    session: AsyncSession, *, settings: Settings, token: str, cache: TokenCache | None
) -> tuple[User, AuthSession]:
    try:
        claims = security.decode_access_token(settings.signing_key, token)
    except security.InvalidToken as exc:
        raise Unauthorized("invalid or expired token", code="invalid_token") from exc
    mark = cache.mark() if cache is not None else None
    ids = {"session_id": claims.session_id, "user_id": claims.user_id}
    row = (await session.execute(SIGNED_IN, ids)).one_or_none()
    if row is None:
        raise Unauthorized("invalid or expired token", code="invalid_token")
    user, auth_session = row
    if cache is not None and auth_session.revoked_at is None:
        cache.keep(token, mark=mark, token_expires_at=claims.expires_at, user=user, auth_session=auth_session)
    return user, auth_session


async def logout(session: AsyncSession, *, session_id: uuid.UUID) -> None:
    """Owns the unit of work and commits."""
    auth_session = await session.get(AuthSession, session_id)
    if auth_session is not None and auth_session.revoked_at is None:
        auth_session.revoked_at = utcnow()
    await session.commit()


async def user_stats(session: AsyncSession, *, settings: Settings, user: User) -> UserStats:
    counters = await usage.of_owner(session, owner_id=user.id)
    return UserStats(
        total_files=usage.summed(counters, trashed=False).files,
        total_images=usage.summed(counters, trashed=False, kind="image").files,
        storage_used=usage.summed(counters, trashed=None).bytes,
        storage_quota=quota_of(user, settings),
    )


async def user_detail(session: AsyncSession, *, settings: Settings, user: User) -> UserDetail:
    stats = await user_stats(session, settings=settings, user=user)
    return UserDetail(**user_read(user).model_dump(), stats=stats)


async def update_user(
    session: AsyncSession, *, settings: Settings, user: User, data: UserUpdate
) -> UserDetail:
    """Owns the unit of work and commits."""
    if data.email is not None and data.email.lower() != user.email:
        email = data.email.lower()
        taken = await session.scalar(select(User.id).where(User.email == email, User.id != user.id))
        if taken is not None:
            raise Conflict("that email is already registered", code="email_taken")
        user.email = email
    if data.preferences is not None:
        merged = Preferences.model_validate(user.preferences or {}).model_copy(
            update=data.preferences.model_dump(exclude_none=True)
        )
        user.preferences = merged.model_dump()
    session.add(user)
    await session.commit()
    return await user_detail(session, settings=settings, user=user)
