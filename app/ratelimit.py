"""Sliding-window counters kept in SQL, so every worker sees the same limits."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
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
