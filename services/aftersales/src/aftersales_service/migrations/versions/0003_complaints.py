"""Complaints: the complaint index (complaint → order's stream) and the complaint read model.

Revision ID: aftersales_0003
Revises: aftersales_0002
"""

from __future__ import annotations

from alembic import op

revision = "aftersales_0003"
down_revision: str | None = "aftersales_0002"
branch_labels = None
depends_on = None

_UPGRADE = """
CREATE TABLE complaint_index (
    complaint_id text PRIMARY KEY,
    order_id text NOT NULL,
    shop_id text NOT NULL,
    buyer_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX complaint_index_order ON complaint_index (order_id);
CREATE TABLE complaints (
    complaint_id text PRIMARY KEY,
    order_id text NOT NULL,
    shop_id text NOT NULL,
    buyer_id text NOT NULL,
    filed_by text NOT NULL,
    about text NOT NULL,
    category text NOT NULL,
    text text NOT NULL,
    attachments jsonb NOT NULL,
    status text NOT NULL,
    accept_note text,
    responsibility text,
    finding text,
    remedy jsonb,
    reply text,
    satisfied boolean,
    follow_up_comment text,
    escalation_reason text,
    ruling jsonb,
    ruling_outcome text,
    close_reason text,
    filed_at timestamptz NOT NULL,
    accept_due_by timestamptz NOT NULL,
    accepted_at timestamptz,
    reply_due_by timestamptz,
    replied_at timestamptz,
    follow_up_by timestamptz,
    next_deadline_at timestamptz,
    next_deadline_kind text,
    escalated_at timestamptz,
    ended_at timestamptz,
    updated_at timestamptz NOT NULL,
    last_sequence integer NOT NULL
);
CREATE INDEX complaints_buyer ON complaints (buyer_id, filed_at);
CREATE INDEX complaints_shop_deadline ON complaints (shop_id, next_deadline_at);
CREATE INDEX complaints_order ON complaints (order_id, filed_at);
CREATE INDEX complaints_escalated ON complaints (status, escalated_at);
"""


def _run(script: str) -> None:
    # asyncpg prepares each statement: one command per execute.
    for statement in script.split(";"):
        if statement.strip():
            op.execute(statement)


def upgrade() -> None:
    _run(_UPGRADE)


def downgrade() -> None:
    _run("DROP TABLE complaints; DROP TABLE complaint_index;")
