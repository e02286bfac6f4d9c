"""The service owner's figures: projected conversation events (names and times, no text), from the event broker.

Revision ID: 0008_analytics
Revises: 0007_callbacks
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_analytics"
down_revision = "0007_callbacks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the projected events table."""
    op.create_table(
        "analytics_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(8), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("action", sa.String(64), nullable=True),
        sa.Column("loop", sa.String(64), nullable=True),
        sa.Column("slot", sa.String(64), nullable=True),
        sa.Column("topics", sa.String(600), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_analytics_events_at", "analytics_events", ["at"])


def downgrade() -> None:
    """Drop the projected events table."""
    op.drop_table("analytics_events")
