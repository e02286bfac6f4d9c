"""Callback numbers left when no person could answer, and the WeChat side of the live handoff kept in the backend.

`callbacks`: the offer, the consent, the number (masked and sealed; the sealed copy erased once the call is
recorded or after the retention), the staff's record of the call, with its audit trail in `callback_events`.
`handoffs` gains the WeChat conversation it serves (an HMAC to find it, the address sealed to answer it) and
`handoff_messages` the delivery state of each message a channel pushes (handed out once, sent or undelivered).

Revision ID: 0007_callbacks
Revises: 0006_handoffs
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_callbacks"
down_revision = "0006_handoffs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the callback tables and add the channel delivery columns of the handoff."""
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("conversation_hash", sa.String(64), nullable=True),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("phone_masked", sa.String(16), nullable=True),
        sa.Column("phone_sealed", sa.Text(), nullable=True),
        sa.Column("misses", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("numbered_at", sa.DateTime(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=True),
        sa.Column("recorded_by", sa.String(64), nullable=True),
        sa.Column("reached", sa.Boolean(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("number_deleted_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_callbacks_status", "callbacks", ["status"])
    op.create_index("ix_callbacks_conversation_hash", "callbacks", ["conversation_hash"])
    op.create_index("ix_callbacks_created_at", "callbacks", ["created_at"])
    op.create_table(
        "callback_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("callback_id", sa.Integer(), sa.ForeignKey("callbacks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_callback_events_callback_id", "callback_events", ["callback_id"])
    op.add_column("handoffs", sa.Column("conversation_hash", sa.String(64), nullable=True))
    op.add_column("handoffs", sa.Column("address_sealed", sa.Text(), nullable=True))
    op.create_index("ix_handoffs_conversation_hash", "handoffs", ["conversation_hash"])
    op.add_column("handoff_messages", sa.Column("delivery", sa.String(16), nullable=True))
    op.create_index("ix_handoff_messages_delivery", "handoff_messages", ["delivery"])


def downgrade() -> None:
    """Drop the callback tables and the handoff's delivery columns."""
    with op.batch_alter_table("handoff_messages") as batch:
        batch.drop_index("ix_handoff_messages_delivery")
        batch.drop_column("delivery")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_index("ix_handoffs_conversation_hash")
        batch.drop_column("address_sealed")
        batch.drop_column("conversation_hash")
    op.drop_table("callback_events")
    op.drop_table("callbacks")
