"""The running previews of every process, so a preview works whichever process is asked.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "previews",
        sa.Column("project_id", sa.String(32), primary_key=True),
        sa.Column("version_number", sa.Integer, nullable=False),
        sa.Column("job_dir", sa.String(1000), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("executor_id", sa.String(200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("previews")
