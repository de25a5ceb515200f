"""The SQLite full-text index: names of its tables (kept out of autogenerate) and the text feed."""

import re
import uuid
from pathlib import Path

from anyio import to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import FileText

# file_fts is the FTS5 table (plus its shadow tables file_fts_*); search_doc gives each file a
# stable integer rowid, since VACUUM may renumber the implicit rowids of the file table.
FTS_TABLE = "file_fts"
DOC_TABLE = "search_doc"
_INDEX_TABLE = re.compile(rf"^({FTS_TABLE}(_\w+)?|{DOC_TABLE})$")

TEXT_LIMIT = 1024 * 1024


def is_index_table(name: str | None) -> bool:
    """True for the tables the migration manages by hand (the ORM does not know them)."""
    return name is not None and bool(_INDEX_TABLE.match(name))


def read_text_head(path: Path, limit: int = TEXT_LIMIT) -> str:
    """The first `limit` bytes as UTF-8; undecodable bytes become U+FFFD, NULs are dropped."""
    with path.open("rb") as handle:
        head = handle.read(limit)
    return head.decode("utf-8", errors="replace").replace("\x00", "")


async def index_text(session: AsyncSession, *, file_id: uuid.UUID, path: Path) -> None:
    """Store the searchable text of a text file; the caller commits (triggers update the index)."""
    content = await to_thread.run_sync(read_text_head, path)
    await session.merge(FileText(file_id=file_id, content=content))
