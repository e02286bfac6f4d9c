"""Initial schema: applications, status_events (audit trail), photos, feedback.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table of the first version."""
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("qualification", sa.String(64), nullable=False),
        sa.Column("level", sa.String(32), nullable=True),
        sa.Column("specialty", sa.String(64), nullable=True),
        sa.Column("obtained", sa.String(7), nullable=False),
        sa.Column("applicant_name", sa.String(64), nullable=False),
        sa.Column("id_hmac", sa.String(64), nullable=False),
        sa.Column("id_masked", sa.String(32), nullable=False),
        sa.Column("id_last4", sa.String(4), nullable=False),
        sa.Column("id_encrypted", sa.Text(), nullable=False),
        sa.Column("cert_number", sa.String(64), nullable=True),
        sa.Column("cert_number_unknown", sa.Boolean(), nullable=False),
        sa.Column("city", sa.String(16), nullable=False),
        sa.Column("phone_masked", sa.String(16), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=False),
        sa.Column("photo_ref", sa.String(40), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("sender_ref", sa.String(128), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("number", name="uq_applications_number"),
        sa.UniqueConstraint("idempotency_key", name="uq_applications_idempotency_key"),
    )
    op.create_index("ix_applications_status", "applications", ["status"])
    op.create_index("ix_applications_applicant_name", "applications", ["applicant_name"])
    op.create_index("ix_applications_id_hmac", "applications", ["id_hmac"])
    op.create_index("ix_applications_id_last4", "applications", ["id_last4"])
    op.create_index("ix_applications_city", "applications", ["city"])
    op.create_table(
        "status_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
    )
    op.create_index("ix_status_events_application_id", "status_events", ["application_id"])
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ref", sa.String(40), nullable=False),
        sa.Column("content_type", sa.String(16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("ref", name="uq_photos_ref"),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("sender_ref", sa.String(128), nullable=True),
        sa.Column("application_number", sa.String(20), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop every table of the first version."""
    op.drop_table("feedback")
    op.drop_table("photos")
    op.drop_index("ix_status_events_application_id", table_name="status_events")
    op.drop_table("status_events")
    for name in ("city", "id_last4", "id_hmac", "applicant_name", "status"):
        op.drop_index(f"ix_applications_{name}", table_name="applications")
    op.drop_table("applications")
