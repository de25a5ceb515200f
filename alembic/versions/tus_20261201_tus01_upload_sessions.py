"""resumable upload sessions

Revision ID: tus01
Revises: perf03
Create Date: 2026-12-01 01:42:57.389051

One row per resumable (tus) upload: owner, length (null while deferred), bytes received,
metadata, concatenation role, state and result. The bytes live on the blob store under the id.
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
import app.db


revision: str = 'tus01'
down_revision: str | None = 'perf03'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('upload_session',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('length', sa.BigInteger(), nullable=True),
    sa.Column('received', sa.BigInteger(), nullable=False),
    sa.Column('upload_metadata', sa.JSON(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('folder_id', sa.Uuid(), nullable=True),
    sa.Column('mime_type', sa.String(length=255), nullable=True),
    sa.Column('concat', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('file_id', sa.Uuid(), nullable=True),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error_detail', sa.Text(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['file.id'], name=op.f('fk_upload_session_file_id_file'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_upload_session_owner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload_session'))
    )
    with op.batch_alter_table('upload_session', schema=None) as batch_op:
        batch_op.create_index('ix_upload_session_expires_at', ['expires_at'], unique=False)
        batch_op.create_index('ix_upload_session_owner_state', ['owner_id', 'state', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('upload_session', schema=None) as batch_op:
        batch_op.drop_index('ix_upload_session_owner_state')
        batch_op.drop_index('ix_upload_session_expires_at')

    op.drop_table('upload_session')
