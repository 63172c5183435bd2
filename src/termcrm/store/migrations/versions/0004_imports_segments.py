"""imports and saved segments: import runs, the import id on audit entries, segments

Also the time-ordered indexes of the journal and of tasks, which exports (and the
journal section) read in keyset pages over (time, id).

Every import gets a row in import_run; the audit entries it writes carry its id,
so `termcrm import undo` finds exactly what that import created and changed.
Segments are saved list filters (`termcrm export --segment`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from termcrm.store.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "import_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("undone_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("options", _json(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_import_run_file", "import_run", ["file_hash", "entity", "id"])
    op.create_table(
        "import_reject",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["import_run.id"]),
        sa.PrimaryKeyConstraint("run_id", "row"),
    )
    op.create_table(
        "segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("filters", _json(), nullable=False),
        sa.Column("search", sa.String(length=300), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "entity", "name"),
    )
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_import", "audit_log", ["import_id", "id"])
    op.create_index("ix_interaction_when", "interaction", ["occurred_at", "id"])
    op.create_index("ix_task_due", "task", ["due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_task_due", table_name="task")
    op.drop_index("ix_interaction_when", table_name="interaction")
    op.drop_index("ix_audit_import", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.drop_column("import_id")
    op.drop_table("segment")
    op.drop_table("import_reject")
    op.drop_index("ix_import_run_file", table_name="import_run")
    op.drop_table("import_run")
