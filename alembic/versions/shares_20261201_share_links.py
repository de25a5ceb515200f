"""share links

Revision ID: shares01
Revises: tus01
Create Date: 2026-12-01 01:50:00
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
import app.db


revision: str = 'shares01'
down_revision: str | None = 'tus01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'share',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('owner_id', sa.Uuid(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('target_type', sa.String(length=16), nullable=False),
        sa.Column('collection_id', sa.Uuid(), nullable=True),
        sa.Column('folder_id', sa.Uuid(), nullable=True),
        sa.Column('file_ids', sa.JSON(), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('password_hash', sa.String(length=255), nullable=True),
        sa.Column('allow_download', sa.Boolean(), nullable=False),
        sa.Column('show_metadata', sa.Boolean(), nullable=False),
        sa.Column('max_downloads', sa.Integer(), nullable=True),
        sa.Column('download_count', sa.Integer(), nullable=False),
        sa.Column('view_count', sa.Integer(), nullable=False),
        sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], name=op.f('fk_share_collection_id_collection'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['folder_id'], ['folder.id'], name=op.f('fk_share_folder_id_folder'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_share_owner_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_share')),
        sa.UniqueConstraint('token', name=op.f('uq_share_token')),
    )
    with op.batch_alter_table('share', schema=None) as batch_op:
        batch_op.create_index('ix_share_owner_created', ['owner_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_folder_id'), ['folder_id'], unique=False)


def downgrade() -> None:
    op.drop_table('share')
