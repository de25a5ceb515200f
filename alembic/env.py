"""Async migrations; the URL comes from the caller (app.migrate) or from Settings."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from app import models  # noqa: F401 - registers every table
from app.config import get_settings
from app.db import Base, create_engine
from app.search.index import is_index_table

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else get_settings().database_url


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """The search index (an FTS5 table, its shadow tables, its rowid map) is managed by hand."""
    return not (type_ == "table" and is_index_table(name))


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_engine(database_url())
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
