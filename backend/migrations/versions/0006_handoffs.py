"""The live handoff: the queue of conversations handed to a person, their masked transcripts and audit trail.

Revision ID: 0006_handoffs
Revises: 0005_workspace
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_handoffs"
down_revision = "0005_workspace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the handoff tables."""
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("taken_by", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_handoffs_status", "handoffs", ["status"])
    op.create_index("ix_handoffs_created_at", "handoffs", ["created_at"])
    for table, columns in (
        ("handoff_messages", [sa.Column("author", sa.String(16), nullable=False),
                              sa.Column("text", sa.Text(), nullable=False)]),
        ("handoff_events", [sa.Column("action", sa.String(16), nullable=False),
                            sa.Column("actor", sa.String(64), nullable=False)]),
    ):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("handoff_id", sa.Integer(), sa.ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False),
            *columns,
            sa.Column("at", sa.DateTime(), nullable=False),
        )
        op.create_index(f"ix_{table}_handoff_id", table, ["handoff_id"])


def downgrade() -> None:
    """Drop the handoff tables."""
    op.drop_table("handoff_events")
    op.drop_table("handoff_messages")
    op.drop_table("handoffs")
