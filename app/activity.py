"""The activity log: what happened to a file, for stats and a file's access history."""

import uuid
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Activity

Action = Literal[
    "upload", "download", "view", "delete", "restore", "move", "rename", "purge", "malware", "quarantine"
]


def record(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID,
    file_id: uuid.UUID | None,
    action: Action,
    actor_id: uuid.UUID | None = None,
) -> None:
    """Adds to the caller's unit of work; the caller commits."""
    session.add(Activity(owner_id=owner_id, file_id=file_id, action=action, actor_id=actor_id))
