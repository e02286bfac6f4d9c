"""The look-alikes staff marked out of scope (name, category, aliases, authority, source), for the documents lexicon.

Revision ID: 0009_reviewed_documents
Revises: 0008_analytics
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_reviewed_documents"
down_revision = "0008_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the reviewed look-alikes table."""
    op.create_table(
        "reviewed_documents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("aliases", sa.Text(), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop the reviewed look-alikes table."""
    op.drop_table("reviewed_documents")
