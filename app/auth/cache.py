"""Sign-ins checked without the database while nothing they depend on has changed.

The session and user rows a token was checked against are kept, keyed by the token itself (so its
signature is checked once too), with the database's change mark (`app.sqliteepoch`) as it was
before they were read. Any write to a user or a session, in any process, changes the mark and
every kept entry is then stale: a logout, a password change, an administrator's change to a user
take effect on the next request. Entries also lapse after `TTL_SECONDS`, for changes made outside
Atrium. Without a mark (PostgreSQL, whose processes may be on several machines) nothing is kept.
"""

import copy
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from app.db import Base
from app.models import AuthSession, User
from app.sqliteepoch import Epoch

TTL_SECONDS = 60
MAX_ENTRIES = 4096
M = TypeVar("M", bound=Base)


@dataclass(frozen=True)
class Entry:
    mark: bytes
    kept_at: float  # monotonic
    token_expires_at: int  # unix seconds
    user: dict[str, Any]
    auth_session: dict[str, Any]


class TokenCache:
    def __init__(self, epoch: Epoch | None) -> None:
        self.epoch = epoch
        self._entries: OrderedDict[str, Entry] = OrderedDict()

    def mark(self) -> bytes | None:
        """Read before the rows are: a change committed after this makes them stale."""
        return self.epoch.read() if self.epoch is not None else None

    def find(self, token: str) -> Entry | None:
        entry = self._entries.get(token)
        if entry is None or self.epoch is None:
            return None
        fresh = entry.mark == self.epoch.read() and time.monotonic() - entry.kept_at < TTL_SECONDS
        if not fresh or entry.token_expires_at <= time.time():
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return entry

    def keep(
        self, token: str, *, mark: bytes | None, token_expires_at: int, user: User, auth_session: AuthSession
    ) -> None:
        if mark is None:
            return
        self._entries[token] = Entry(
            mark, time.monotonic(), token_expires_at, _columns(user), _columns(auth_session)
        )
        if len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)


async def attach(session: AsyncSession, entry: Entry) -> tuple[User, AuthSession]:
    """The kept rows as the session's own objects, as if just loaded (no SQL)."""
    user = await session.merge(_detached(User, entry.user), load=False)
    auth_session = await session.merge(_detached(AuthSession, entry.auth_session), load=False)
    return user, auth_session


def _columns(row: Base) -> dict[str, Any]:
    return {attr.key: _copied(getattr(row, attr.key)) for attr in inspect(type(row)).column_attrs}


def _detached(model: type[M], columns: dict[str, Any]) -> M:
    row = model(**{key: _copied(value) for key, value in columns.items()})
    make_transient_to_detached(row)
    return row


def _copied(value: Any) -> Any:
    """JSON columns are mutable: no request may change what another is handed."""
    return copy.deepcopy(value) if isinstance(value, dict | list) else value
