"""Sign-ins checked without the database while nothing they depend on has changed.

The session and user rows a token was checked against are kept, keyed by the token itself (so its
signature is checked once too), with the database's change mark (`app.sqliteepoch`) as it was
before they were read. Any write to a user or a session, in any process, changes the mark and
every kept entry is then stale: a logout, a password change, an administrator's change to a user
take effect on the next request. Entries also lapse after `TTL_SECONDS`, for changes made outside
Atrium. Without a mark (PostgreSQL, whose processes may be on several machines) nothing is kept.
"""

import copy
import functools
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import JSON, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

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
    user: User  # detached copies, never attached: each request merges its own
    auth_session: AuthSession


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
            mark, time.monotonic(), token_expires_at, _detached_copy(user), _detached_copy(auth_session)
        )
        if len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)


async def attach(session: AsyncSession, entry: Entry) -> tuple[User, AuthSession]:
    """The kept rows as the session's own objects, as if just loaded (no SQL)."""
    return await _merged(session, entry.user), await _merged(session, entry.auth_session)


async def _merged(session: AsyncSession, kept: M) -> M:
    row = await session.merge(kept, load=False)
    for key in _json_keys(type(kept)):  # mutable: each request gets a copy of its own
        set_committed_value(row, key, copy.deepcopy(getattr(kept, key)))
    return row


@functools.cache
def _json_keys(model: type[Base]) -> tuple[str, ...]:
    return tuple(attr.key for attr in inspect(model).column_attrs if isinstance(attr.columns[0].type, JSON))


def _detached_copy(row: M) -> M:
    columns = {attr.key: copy.deepcopy(getattr(row, attr.key)) for attr in inspect(type(row)).column_attrs}
    copied = type(row)(**columns)
    make_transient_to_detached(copied)
    return copied
