"""Less personal data at rest: stored ID masks keep the last four characters only, and the unkeyed request digests
(a plain SHA-256 of a body whose other fields are stored, so it gave the ID and phone number back by trial) are erased.

Revision ID: 0003_privacy
Revises: 0002_unanswered
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_privacy"
down_revision = "0002_unanswered"
branch_labels = None
depends_on = None

applications = sa.table(
    "applications",
    sa.column("id", sa.Integer),
    sa.column("id_masked", sa.String),
    sa.column("id_last4", sa.String),
    sa.column("request_hash", sa.String),
)


def upgrade() -> None:
    """Re-mask every stored ID to stars and its last four; erase every stored request digest."""
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA secure_delete = ON")  # the old masks do not linger in free pages
    rows = connection.execute(sa.select(applications.c.id, applications.c.id_masked, applications.c.id_last4)).all()
    for row_id, masked, last4 in rows:
        connection.execute(
            applications.update().where(applications.c.id == row_id)
            .values(id_masked="*" * max(len(masked) - len(last4), 0) + last4)
        )
    connection.execute(applications.update().values(request_hash=""))


def downgrade() -> None:
    """Nothing to undo: the masked digits and the erased digests are gone for good."""
