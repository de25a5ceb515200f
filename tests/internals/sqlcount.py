"""Counting the SQL statements an app runs, for the cost tests."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

from app.sqliteepoch import epoch_of


@contextmanager
def listening(app: FastAPI, **hooks: Callable[..., None]) -> Iterator[None]:
    """The app's engine calls each hook on its event (`before_cursor_execute=...`) inside the block."""
    engine = app.state.engine.sync_engine
    for event, hook in hooks.items():
        sa.event.listen(engine, event, hook)
    try:
        yield
    finally:
        for event, hook in hooks.items():
            sa.event.remove(engine, event, hook)


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    with listening(app, before_cursor_execute=record):
        yield seen


def sign_in_reads(app: FastAPI) -> int:
    """Statements a signed-in request spends on its token once it has been seen: none where the
    sign-in is cached (SQLite, which has the change mark), one elsewhere."""
    return 0 if epoch_of(app.state.engine) is not None else 1
