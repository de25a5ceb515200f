"""Engine, session factory and the declarative Base shared by every model."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.types import TypeDecorator

from app import sqlitedriver, sqliteepoch, sqlitegate
from app.dbpool import FairPool

MAX_SQL_INT = 2**63 - 1  # BIGINT; a larger integer from a client cannot be bound
# The bound of every client integer that reaches SQL: inside BIGINT, exact in a JavaScript number
# and in the OpenAPI document (FastAPI writes bounds as floats: 2**63 - 1 would read as 2**63).
MAX_SAFE_INT = 2**53 - 1
BUSY_TIMEOUT_SECONDS = 10

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back an aware datetime (SQLite drops the zone).

    A naive datetime (a query parameter without an offset) is taken to be UTC, as API.md's
    timestamps are.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError:  # year 1 or 9999 shifted past the calendar: the nearest end of time
            return datetime.min.replace(tzinfo=UTC) if value.year == 1 else datetime.max.replace(tzinfo=UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _set_sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The default page cache is 2 MiB: a list or search over 100k rows would re-read pages from
    # the OS on every request. 64 MiB cache plus 256 MiB of mmap keep the hot indexes in memory.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _pool_options(parsed: URL) -> dict[str, Any]:
    """The fair pool wherever SQLAlchemy would queue connections (not in-memory SQLite's one)."""
    dialect = parsed.get_dialect()
    assert issubclass(dialect, DefaultDialect), dialect
    default = dialect.get_pool_class(parsed)
    return {"poolclass": FairPool} if issubclass(default, AsyncAdaptedQueuePool) else {}


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        engine = create_async_engine(url, module=sqlitedriver.dbapi(), **_pool_options(parsed))
    else:
        engine = create_async_engine(url, pool_pre_ping=True, **_pool_options(parsed))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
        sqlitegate.install(engine, timeout_seconds=BUSY_TIMEOUT_SECONDS)
        # What a cached sign-in depends on (app.auth.cache); the tables' names, not their models.
        sqliteepoch.install(engine, tables=("user", "auth_session"))
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session:
        request.state.session = session
        yield session


async def release_session(request: Request) -> None:
    """Ends the request's session now, giving its pooled connection back, rather than after the
    response is sent: before a body a slow or stopped reader could hold up for as long as it likes.
    Anything still to be written must be committed first (closing rolls back)."""
    session: AsyncSession | None = getattr(request.state, "session", None)
    if session is not None:
        await session.close()


SessionDep = Annotated[AsyncSession, Depends(get_session)]
