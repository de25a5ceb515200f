"""file_tag.owner_id: an owner's tags found without reading the owner's files

Revision ID: perf03
Revises: perf02
Create Date: 2026-12-01 02:00:00

GET /api/tags read every live file of the owner to find their tags, even for an owner with no
tags at all. The owner's id is copied onto each tag row (a file never changes owner) and
indexed with the name, so the tags are found by an index range of the owner's tag rows.
The column is added with a placeholder default (SQLite adds a NOT NULL column only with one,
and without a foreign key), then filled from the files. The SQL is frozen here on purpose.
"""

from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = "perf03"
down_revision: str | None = "perf02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACEHOLDER = "00000000000000000000000000000000"


def upgrade() -> None:
    op.add_column("file_tag", sa.Column("owner_id", sa.Uuid(), server_default=PLACEHOLDER, nullable=False))
    op.execute("UPDATE file_tag SET owner_id = (SELECT file.owner_id FROM file WHERE file.id = file_tag.file_id)")
    op.create_index("ix_file_tag_owner_name", "file_tag", ["owner_id", "name", "file_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_file_tag_owner_name", table_name="file_tag")
    with op.batch_alter_table("file_tag", schema=None) as batch_op:
        batch_op.drop_column("owner_id")
