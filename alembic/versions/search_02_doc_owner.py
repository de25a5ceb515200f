"""search_doc carries each file's owner, creation time and trash state (SQLite)

Revision ID: search02
Revises: compress01
Create Date: 2026-12-01 21:30:00

A search checked owner and trash on `file` for every match, a lookup by UUID each: with 12,000
matches that was most of the query. `search_doc` is already read by rowid for every match, so
it now mirrors the three columns the unfiltered search needs, kept by the insert trigger and one
more trigger on their updates. PostgreSQL searches `file_search` and is untouched.
The SQL is frozen here on purpose: a migration must not change when app code does.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "search02"
down_revision: str | None = "compress01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("owner_id CHAR(32)", "created_at DATETIME", "deleted_at DATETIME")

# search01's body of search_file_insert after its first statement, unchanged.
REFRESH_NEW = """DELETE FROM file_fts WHERE rowid = (SELECT id FROM search_doc WHERE file_id = new.id);
    INSERT INTO file_fts (rowid, name, title, description, tags, camera, body)
    SELECT d.id, f.name, coalesce(f.title, ''), coalesce(f.description, ''),
           coalesce((SELECT group_concat(t.name, ' ') FROM file_tag t WHERE t.file_id = f.id), ''),
           coalesce((SELECT trim(coalesce(m.camera_make, '') || ' ' || coalesce(m.camera_model, '')
                                 || ' ' || coalesce(m.lens, ''))
                     FROM image_meta m WHERE m.file_id = f.id), ''),
           coalesce((SELECT x.content FROM file_text x WHERE x.file_id = f.id), '')
    FROM file f JOIN search_doc d ON d.file_id = f.id
WHERE f.id = new.id;"""

# constants only below (S608)
INSERT_BEFORE = "INSERT INTO search_doc (file_id) VALUES (new.id);" + REFRESH_NEW  # noqa: S608
INSERT_AFTER = (
    "INSERT INTO search_doc (file_id, owner_id, created_at, deleted_at)"  # noqa: S608
    " VALUES (new.id, new.owner_id, new.created_at, new.deleted_at);" + REFRESH_NEW
)
STATE = (
    "AFTER UPDATE OF owner_id, created_at, deleted_at ON file BEGIN "
    "UPDATE search_doc SET owner_id = new.owner_id, created_at = new.created_at,"
    " deleted_at = new.deleted_at WHERE file_id = new.id; END"
)
BACKFILL = (
    "UPDATE search_doc SET (owner_id, created_at, deleted_at) ="
    " (SELECT owner_id, created_at, deleted_at FROM file WHERE file.id = search_doc.file_id)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for column in COLUMNS:
        op.execute(f"ALTER TABLE search_doc ADD COLUMN {column}")
    op.execute(BACKFILL)
    op.execute("DROP TRIGGER search_file_insert")
    op.execute(f"CREATE TRIGGER search_file_insert AFTER INSERT ON file BEGIN {INSERT_AFTER} END")
    op.execute(f"CREATE TRIGGER search_file_state {STATE}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER search_file_state")
    op.execute("DROP TRIGGER search_file_insert")
    op.execute(f"CREATE TRIGGER search_file_insert AFTER INSERT ON file BEGIN {INSERT_BEFORE} END")
    for column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE search_doc DROP COLUMN {column.split()[0]}")
