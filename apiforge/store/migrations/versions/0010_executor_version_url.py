"""Each process's application version (a dead one's generations go to a live process of that
version), and its host with the URL at which processes of other hosts reach it (previews across
hosts).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("executors") as batch:
        # NULL: a row written before this revision, whose version nobody knows.
        batch.add_column(sa.Column("app_version", sa.String(100), nullable=True))
        batch.add_column(sa.Column("host", sa.String(255), nullable=True))
        batch.add_column(sa.Column("internal_url", sa.String(1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("executors") as batch:
        batch.drop_column("internal_url")
        batch.drop_column("host")
        batch.drop_column("app_version")
