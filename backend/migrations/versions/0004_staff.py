"""Personal staff accounts, their server-side sessions, and the attempt counts behind lockouts and quotas.

Revision ID: 0004_staff
Revises: 0003_privacy
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_staff"
down_revision = "0003_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create staff_accounts, staff_sessions and throttle_attempts."""
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("username", name="uq_staff_accounts_username"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("staff_accounts.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_staff_sessions_token_hash"),
    )
    op.create_index("ix_staff_sessions_account_id", "staff_sessions", ["account_id"])
    op.create_index("ix_staff_sessions_expires_at", "staff_sessions", ["expires_at"])
    op.create_table(
        "throttle_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("subject_hash", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_throttle_attempts_scope_subject_at", "throttle_attempts", ["scope", "subject_hash", "at"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("throttle_attempts")
    op.drop_table("staff_sessions")
    op.drop_table("staff_accounts")
