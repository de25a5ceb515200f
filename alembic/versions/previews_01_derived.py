"""previews: page count, media duration and size, ThumbHash, and the derived-data version

Revision ID: previews01
Revises: shares01
Create Date: 2026-12-01 05:00:00

Nullable columns only: existing rows keep NULL (not read yet) until `atrium cleanup --backfill`
reads their bytes. `derived_version` is indexed with `kind` so the backfill finds the next batch
of unread files without a scan of the whole table.
"""

from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = "previews01"
down_revision: str | None = "shares01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("file", sa.Column("page_count", sa.Integer(), nullable=True))
    op.add_column("file", sa.Column("duration_seconds", sa.Float(), nullable=True))
    op.add_column("file", sa.Column("media_width", sa.Integer(), nullable=True))
    op.add_column("file", sa.Column("media_height", sa.Integer(), nullable=True))
    op.add_column("file", sa.Column("derived_version", sa.Integer(), nullable=True))
    op.add_column("image_meta", sa.Column("thumbhash", sa.String(length=64), nullable=True))
    op.create_index("ix_file_derived", "file", ["derived_version", "id"])


def downgrade() -> None:
    op.drop_index("ix_file_derived", table_name="file")
    with op.batch_alter_table("image_meta") as batch:
        batch.drop_column("thumbhash")
    with op.batch_alter_table("file") as batch:
        for column in ("derived_version", "media_height", "media_width", "duration_seconds", "page_count"):
            batch.drop_column(column)
