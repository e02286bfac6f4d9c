"""The staff workspace: reviews of unanswered questions, reviewed training examples, knowledge drafts, rating
follow-ups, answer versions, and the workspace's audit trail.

Revision ID: 0005_workspace
Revises: 0004_staff
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_workspace"
down_revision = "0004_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the workspace tables."""
    op.create_table(
        "knowledge_drafts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "question_reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("question_id", sa.Integer(), sa.ForeignKey("unanswered_questions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("faq_key", sa.String(64), nullable=True),
        sa.Column("authority", sa.Text(), nullable=True),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("knowledge_drafts.id", ondelete="SET NULL"), nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("question_id", name="uq_question_reviews_question_id"),
    )
    op.create_table(
        "reviewed_examples",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("faq_key", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_reviewed_examples_faq_key", "reviewed_examples", ["faq_key"])
    op.create_table(
        "rating_followups",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("feedback_id", sa.Integer(), sa.ForeignKey("feedback.id", ondelete="CASCADE"), nullable=False),
        sa.Column("contacted", sa.Boolean(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("feedback_id", name="uq_rating_followups_feedback_id"),
    )
    op.create_table(
        "knowledge_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("key", "version", name="uq_knowledge_versions_key_version"),
    )
    op.create_table(
        "workspace_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_workspace_events_at", "workspace_events", ["at"])


def downgrade() -> None:
    """Drop the workspace tables."""
    op.drop_table("workspace_events")
    op.drop_table("knowledge_versions")
    op.drop_table("rating_followups")
    op.drop_table("reviewed_examples")
    op.drop_table("question_reviews")
    op.drop_table("knowledge_drafts")
