"""indexes for search and the file list

Revision ID: perf01
Revises: search01
Create Date: 2026-11-21 14:41:08.606826

One index per sort of the file list, so a page is read in index order instead of sorting
every live file of the owner; the id at the end breaks ties in the order the query asks for
(SQLite walks an index backwards for `desc`). `ix_file_id_live` covers the owner and trash checks of a search hit looked up
by id, so ranking never reads the file table's rows.
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
import app.db


revision: str = 'perf01'
down_revision: str | None = 'search01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('file', schema=None) as batch_op:
        batch_op.create_index('ix_file_id_live', ['id', 'owner_id', 'deleted_at', 'created_at'], unique=False)
        batch_op.drop_index('ix_file_owner_listing')
        batch_op.create_index('ix_file_owner_listing', ['owner_id', 'deleted_at', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_file_owner_name', ['owner_id', 'deleted_at', 'name', 'id'], unique=False)
        batch_op.create_index('ix_file_owner_size', ['owner_id', 'deleted_at', 'size', 'id'], unique=False)
        batch_op.create_index('ix_file_owner_updated', ['owner_id', 'deleted_at', 'updated_at', 'id'], unique=False)
        batch_op.create_index('ix_file_owner_downloads', ['owner_id', 'deleted_at', 'download_count', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('file', schema=None) as batch_op:
        batch_op.drop_index('ix_file_owner_downloads')
        batch_op.drop_index('ix_file_owner_updated')
        batch_op.drop_index('ix_file_owner_size')
        batch_op.drop_index('ix_file_owner_name')
        batch_op.drop_index('ix_file_owner_listing')
        batch_op.create_index('ix_file_owner_listing', ['owner_id', 'deleted_at', 'created_at'], unique=False)
        batch_op.drop_index('ix_file_id_live')
