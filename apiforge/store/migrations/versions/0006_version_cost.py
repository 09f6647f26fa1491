"""Each version's cost in USD, worked out from APIFORGE_PRICES when it ends (null: not known).

Versions from before know no price, except those that cost nothing for certain: the offline
engine's (it runs on this machine) and restored or forked ones (no model was asked).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_versions") as batch:
        batch.add_column(sa.Column("cost_usd", sa.Float, nullable=True))
    op.execute(
        "UPDATE api_versions SET cost_usd = 0 "
        "WHERE provider = 'offline engine' OR origin IN ('restore', 'fork')"
    )


def downgrade() -> None:
    with op.batch_alter_table("api_versions") as batch:
        batch.drop_column("cost_usd")
