"""Questions the assistant could not answer, kept masked for staff review.

Revision ID: 0002_unanswered
Revises: 0001_initial
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_unanswered"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the unanswered_questions table."""
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("guesses", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_unanswered_questions_kind", "unanswered_questions", ["kind"])
    op.create_index("ix_unanswered_questions_created_at", "unanswered_questions", ["created_at"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("unanswered_questions")
