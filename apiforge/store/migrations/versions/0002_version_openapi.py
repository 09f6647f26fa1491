"""Keep each validated version's OpenAPI document, so diffs can list changed routes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_versions") as batch:
        batch.add_column(sa.Column("openapi", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_versions") as batch:
        batch.drop_column("openapi")
