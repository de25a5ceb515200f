"""search index: file_text, and on SQLite an FTS5 index kept in step by triggers

Revision ID: search01
Revises: 0001
Create Date: 2026-11-21 13:42:54.136450

The FTS5 table `file_fts` holds one row per file (name, title, description, tags, camera,
body); `search_doc` maps each file to a stable integer rowid. Triggers on file, file_tag,
image_meta and file_text rebuild a file's row whenever any of them changes, so the index
follows whichever service writes. Trashed files stay indexed and are excluded at query time.
The DDL is frozen here on purpose: a migration must not change when app code does.
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
import app.db


revision: str = 'search01'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CREATE_INDEX_TABLES = [
    "CREATE TABLE search_doc (id INTEGER PRIMARY KEY, file_id CHAR(32) NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE file_fts USING fts5("
    "name, title, description, tags, camera, body, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')",
]

# Every file's index row, from the tables it is made of.
INSERT_DOCUMENTS = """
    INSERT INTO file_fts (rowid, name, title, description, tags, camera, body)
    SELECT d.id, f.name, coalesce(f.title, ''), coalesce(f.description, ''),
           coalesce((SELECT group_concat(t.name, ' ') FROM file_tag t WHERE t.file_id = f.id), ''),
           coalesce((SELECT trim(coalesce(m.camera_make, '') || ' ' || coalesce(m.camera_model, '')
                                 || ' ' || coalesce(m.lens, ''))
                     FROM image_meta m WHERE m.file_id = f.id), ''),
           coalesce((SELECT x.content FROM file_text x WHERE x.file_id = f.id), '')
    FROM file f JOIN search_doc d ON d.file_id = f.id
"""
# Rebuild the index row of the file whose id is {id}.
REFRESH = (
    "DELETE FROM file_fts WHERE rowid = (SELECT id FROM search_doc WHERE file_id = {id});"
    + INSERT_DOCUMENTS
    + "WHERE f.id = {id};"
)

TRIGGERS = {
    "search_file_insert": (
        "AFTER INSERT ON file",
        "INSERT INTO search_doc (file_id) VALUES (new.id);" + REFRESH.format(id="new.id"),
    ),
    "search_file_update": (
        "AFTER UPDATE OF name, title, description ON file",
        REFRESH.format(id="new.id"),
    ),
    "search_file_delete": (
        "AFTER DELETE ON file",
        "DELETE FROM file_fts WHERE rowid = (SELECT id FROM search_doc WHERE file_id = old.id);"
        "DELETE FROM search_doc WHERE file_id = old.id;",
    ),
}
for _table in ("file_tag", "image_meta", "file_text"):
    TRIGGERS[f"search_{_table}_insert"] = (f"AFTER INSERT ON {_table}", REFRESH.format(id="new.file_id"))
    TRIGGERS[f"search_{_table}_update"] = (
        f"AFTER UPDATE ON {_table}",
        REFRESH.format(id="old.file_id") + REFRESH.format(id="new.file_id"),
    )
    TRIGGERS[f"search_{_table}_delete"] = (f"AFTER DELETE ON {_table}", REFRESH.format(id="old.file_id"))

BACKFILL = ["INSERT INTO search_doc (file_id) SELECT id FROM file", INSERT_DOCUMENTS]


def upgrade() -> None:
    op.create_table('file_text',
    sa.Column('file_id', sa.Uuid(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['file.id'], name=op.f('fk_file_text_file_id_file'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('file_id', name=op.f('pk_file_text'))
    )
    if op.get_bind().dialect.name != "sqlite":
        return  # other dialects search without this index (see app/search/service.py)
    for statement in CREATE_INDEX_TABLES + BACKFILL:
        op.execute(statement)
    for name, (when, body) in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS file_fts")
        op.execute("DROP TABLE IF EXISTS search_doc")
    op.drop_table('file_text')
