"""Sliding-window counters kept in SQL, so every worker sees the same limits.

Two ways to count, both exact across processes sharing the database: `hit` commits the event and
then counts (a write transaction of its own: logins, share unlocks, renders, resumable uploads);
`check` plus `record_locked` let a request that writes anyway count inside its own transaction,
under a lock that queues every writer of the bucket (multipart uploads, under their owner's lock).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.errors import TooManyRequests
from app.models import RateLimitHit


@dataclass(frozen=True)
class Bucket:
    key: str
    limit: int


async def hit(
    session: AsyncSession, *, buckets: Sequence[Bucket], window_seconds: int, what: str
) -> list[int]:
    """Count one event in every bucket, then refuse it (429) if any bucket is over its limit.

    The event is committed before counting, so concurrent events all see each other: checking
    first and recording later lets a burst through. Returns the ids of the recorded hits.
    """
    now = utcnow()
    hits = [RateLimitHit(key=bucket.key, at=now) for bucket in buckets]
    session.add_all(hits)
    await session.commit()
    since = now - timedelta(seconds=window_seconds)
    for bucket in buckets:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(RateLimitHit.at)).where(
                    RateLimitHit.key == bucket.key, RateLimitHit.at > since
                )
            )
        ).one()
        if count > bucket.limit:
            retry_after = window_seconds - int((utcnow() - oldest).total_seconds())
            raise TooManyRequests(f"too many {what}; try again later", retry_after=retry_after)
    return [recorded.id for recorded in hits]


# Built once (every upload checks before its body arrives).
HITS_SINCE = select(func.count(), func.min(RateLimitHit.at)).where(
    RateLimitHit.key == bindparam("key"), RateLimitHit.at > bindparam("since")
)

# One hit, inserted only while the window holds fewer than `room`: count and write in one trip.
RECORD_IF_ROOM = insert(RateLimitHit).from_select(
    ["key", "at"],
    select(bindparam("key", type_=RateLimitHit.key.type), bindparam("at", type_=RateLimitHit.at.type)).where(
        select(func.count())
        .where(RateLimitHit.key == bindparam("key"), RateLimitHit.at > bindparam("since"))
        .scalar_subquery()
        < bindparam("room")
    ),
)


async def _over(
    session: AsyncSession, *, bucket: Bucket, window_seconds: int, what: str, allowed: int
) -> TooManyRequests | None:
    """The refusal when the bucket holds more than `allowed` hits in the window (committed ones, and
    the caller's own)."""
    since = utcnow() - timedelta(seconds=window_seconds)
    count, oldest = (await session.execute(HITS_SINCE, {"key": bucket.key, "since": since})).one()
    if count <= allowed:
        return None
    retry_after = window_seconds - int((utcnow() - oldest).total_seconds())
    return TooManyRequests(f"too many {what}; try again later", retry_after=retry_after)


async def check(session: AsyncSession, *, bucket: Bucket, window_seconds: int, what: str) -> None:
    """429 when the bucket is full already; reads only and records nothing (a limit of 0 is off).
    Early and cheap: `record_locked` decides."""
    if bucket.limit > 0:
        refusal = await _over(
            session, bucket=bucket, window_seconds=window_seconds, what=what, allowed=bucket.limit - 1
        )
        if refusal is not None:
            raise refusal


async def record_locked(session: AsyncSession, *, bucket: Bucket, window_seconds: int, what: str) -> None:
    """Record one hit in the caller's transaction if the bucket has room, else 429; the caller
    commits. Count and insert are one statement, so a write transaction makes one trip for it.

    Exact only while the caller holds a lock that every writer of this bucket takes before calling
    (on SQLite the database's write lock; on PostgreSQL a row lock): then no hit of the bucket
    commits between the count and the caller's commit. A refused event is not recorded.
    """
    if bucket.limit <= 0:
        return
    now = utcnow()
    values = {
        "key": bucket.key,
        "at": now,
        "since": now - timedelta(seconds=window_seconds),
        "room": bucket.limit,
    }
    connection = await session.connection()
    if (await connection.execute(RECORD_IF_ROOM, values)).rowcount == 0:
        refusal = await _over(
            session, bucket=bucket, window_seconds=window_seconds, what=what, allowed=bucket.limit - 1
        )
        raise refusal or TooManyRequests(f"too many {what}; try again later", retry_after=1)


async def throttle(session: AsyncSession, *, key: str, limit: int, window_seconds: int, what: str) -> None:
    """One bucket; a limit of 0 turns it off."""
    if limit > 0:
        await hit(session, buckets=[Bucket(key, limit)], window_seconds=window_seconds, what=what)


async def forget(session: AsyncSession, *, keys: Sequence[str] = (), hit_ids: Sequence[int] = ()) -> None:
    """Drop every hit under `keys` and the given hits; the caller commits."""
    if keys:
        await session.execute(delete(RateLimitHit).where(RateLimitHit.key.in_(keys)))
    if hit_ids:
        await session.execute(delete(RateLimitHit).where(RateLimitHit.id.in_(hit_ids)))
