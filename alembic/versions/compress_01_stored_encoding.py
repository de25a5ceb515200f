"""compression at rest: how each original is stored, and the bytes compression saved per owner

Revision ID: compress01
Revises: scale01
Create Date: 2026-12-01 09:00:00

`file.encoding` is null for an original stored as its bytes and `zstd` for one stored as zstd in
the seekable format; `file.stored_size` is its size on the store then (null: `size`). A blob's
first bytes cannot tell (a user may upload a .zst file), so the row says. `usage.saved` keeps,
like `usage.bytes`, the bytes compression saved per owner, kind and trash state, so storage
stats read `stored_size` from the counters. Every existing original is stored as its bytes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "compress01"
down_revision: str | None = "scale01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("file", sa.Column("encoding", sa.String(length=16), nullable=True))
    op.add_column("file", sa.Column("stored_size", sa.BigInteger(), nullable=True))
    op.add_column("usage", sa.Column("saved", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("usage", schema=None) as batch_op:
        batch_op.drop_column("saved")
    with op.batch_alter_table("file", schema=None) as batch_op:
        batch_op.drop_column("stored_size")
        batch_op.drop_column("encoding")
