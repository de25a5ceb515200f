"""The SQLite full-text index: names of its tables (kept out of autogenerate) and the text feed."""

import re
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import FileText

# file_fts is the FTS5 table (plus its shadow tables file_fts_*); search_doc gives each file a
# stable integer rowid, since VACUUM may renumber the implicit rowids of the file table.
FTS_TABLE = "file_fts"
DOC_TABLE = "search_doc"
PG_TABLE = "file_search"  # PostgreSQL's stored tsvector per file (migration scale01)
_INDEX_TABLE = re.compile(rf"^({FTS_TABLE}(_\w+)?|{DOC_TABLE}|{PG_TABLE})$")

TEXT_LIMIT = 1024 * 1024


def is_index_table(name: str | None) -> bool:
    """True for the tables the migration manages by hand (the ORM does not know them)."""
    return name is not None and bool(_INDEX_TABLE.match(name))


def index_text(session: AsyncSession, *, file_id: uuid.UUID, content: str) -> None:
    """Add the searchable text of a new text file; the caller commits (triggers update the index)."""
    session.add(FileText(file_id=file_id, content=content))
