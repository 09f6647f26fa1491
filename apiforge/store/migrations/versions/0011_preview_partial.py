"""Whether a running preview serves a still-streaming version's files (a partial preview), so a
process that does not run it can tell it from the version's full preview.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("previews") as batch:
        batch.add_column(
            sa.Column("partial", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("previews") as batch:
        batch.drop_column("partial")
