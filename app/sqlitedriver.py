"""aiosqlite with one worker-thread hop per statement.

SQLAlchemy's aiosqlite adapter makes four hops into aiosqlite's thread for every statement (open a
cursor, execute, fetch all, close) and one for each commit or rollback, even when no transaction
is open. On a busy machine each hop waits for a scheduler slot, so a request's few SELECTs spent
more time queued than in SQLite. This adapter runs the whole statement (cursor, execute, fetch,
close) as one function in the connection's thread, and skips a commit or rollback when SQLite
has no transaction open (the sqlite3 module would do nothing then either). The engine gets it
through `create_async_engine(..., module=dbapi())`; everything else is SQLAlchemy's adapter.
"""

import collections
import sqlite3
from typing import Any, NamedTuple

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import await_


class Outcome(NamedTuple):
    description: Any
    rowcount: int
    lastrowid: int | None
    rows: list[Any]
    in_transaction: bool


NOTHING = Outcome(None, -1, None, [], True)


def run_statement(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Outcome:
    """In the connection's thread: the statement from cursor to close, with every row."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return Outcome(description, cursor.rowcount, cursor.lastrowid, rows, connection.in_transaction)
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs in one hop; no aiosqlite cursor behind it."""

    __slots__ = ("_outcome", "_size")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._rows = collections.deque()
        self._outcome = NOTHING
        self._size = 1

    @property
    def description(self) -> Any:
        return self._outcome.description

    @property
    def rowcount(self) -> int:
        return self._outcome.rowcount

    @property
    def lastrowid(self) -> Any:
        return self._outcome.lastrowid

    @property
    def arraysize(self) -> int:
        return self._size

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._size = value

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._run(operation, seq_of_parameters, many=True)

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None

    def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        try:
            await_(self._run_async(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run_async(self, operation: Any, parameters: Any, many: bool) -> None:
        adapt = self._adapt_connection
        assert isinstance(adapt, OneHopConnection)
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with adapt._execute_mutex:
            outcome: Outcome = await connection._execute(  # type: ignore[no-untyped-call]
                run_statement, connection._conn, operation, parameters, many
            )
        adapt.in_transaction = outcome.in_transaction
        self._outcome = outcome
        self._rows = collections.deque(outcome.rows)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("in_transaction",)

    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.in_transaction = True  # unknown until the first statement tells

    def rollback(self) -> None:
        if self.in_transaction:
            super().rollback()
            self.in_transaction = False

    def commit(self) -> None:
        if self.in_transaction:
            super().commit()
            self.in_transaction = False


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
