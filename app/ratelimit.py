"""Sliding-window counters kept in SQL, so every worker sees the same limits."""

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.errors import TooManyRequests
from app.models import RateLimitHit


async def enforce(
    session: AsyncSession, *, keys: Sequence[str], limit: int, window_seconds: int, what: str
) -> None:
    """Raise 429 when any key already has `limit` hits inside the window."""
    since = utcnow() - timedelta(seconds=window_seconds)
    for key in keys:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(RateLimitHit.at)).where(
                    RateLimitHit.key == key, RateLimitHit.at > since
                )
            )
        ).one()
        if count >= limit and oldest is not None:
            retry_after = window_seconds - int((utcnow() - oldest).total_seconds())
            raise TooManyRequests(f"too many {what}; try again later", retry_after=retry_after)


def record(session: AsyncSession, *, keys: Sequence[str]) -> None:
    now = utcnow()
    session.add_all(RateLimitHit(key=key, at=now) for key in keys)


async def clear(session: AsyncSession, *, keys: Sequence[str], older_than: int | None = None) -> None:
    query = delete(RateLimitHit).where(RateLimitHit.key.in_(keys))
    if older_than is not None:
        query = query.where(RateLimitHit.at < utcnow() - timedelta(seconds=older_than))
    await session.execute(query)
