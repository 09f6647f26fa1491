"""A restored or forked version carries its source's validation report; these columns say
which version that report was made for.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_versions") as batch:
        batch.add_column(sa.Column("validated_as_project_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("validated_as_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_versions") as batch:
        batch.drop_column("validated_as_version")
        batch.drop_column("validated_as_project_id")
