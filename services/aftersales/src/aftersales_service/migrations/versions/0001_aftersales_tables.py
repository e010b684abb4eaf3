"""Order facts, shop policies, case index and the refund-case read model.

Revision ID: aftersales_0001
Revises:
"""

from __future__ import annotations

from alembic import op

revision = "aftersales_0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

_UPGRADE = """
CREATE TABLE order_facts (
    order_id text PRIMARY KEY,
    shop_id text,
    buyer_id text,
    currency text,
    ordered jsonb,
    goods_kind text,
    payable bigint,
    paid bigint,
    paid_at timestamptz,
    cancellation_refund_due bigint NOT NULL DEFAULT 0,
    deposit_forfeited bigint NOT NULL DEFAULT 0,
    closed boolean NOT NULL DEFAULT false,
    close_reason text,
    shipped_items jsonb NOT NULL DEFAULT '[]'::jsonb,
    shipped_at timestamptz,
    delivered_at timestamptz,
    receipt_confirmed boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_facts_shop_paid ON order_facts (shop_id, paid);
CREATE TABLE refund_case_index (
    case_id text PRIMARY KEY,
    order_id text NOT NULL,
    shop_id text NOT NULL,
    buyer_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refund_case_index_order ON refund_case_index (order_id);
CREATE TABLE refund_orders (
    order_id text PRIMARY KEY,
    shop_id text NOT NULL,
    stream_version integer NOT NULL
);
CREATE TABLE refund_cases (
    case_id text PRIMARY KEY,
    order_id text NOT NULL,
    shop_id text NOT NULL,
    buyer_id text NOT NULL,
    kind text NOT NULL,
    reason text NOT NULL,
    description text,
    status text NOT NULL,
    currency text NOT NULL,
    amount bigint NOT NULL,
    refunded_amount bigint,
    items jsonb NOT NULL,
    goods_status text NOT NULL,
    intercept boolean NOT NULL,
    answer_due_by timestamptz,
    return_by timestamptz,
    confirm_by timestamptz,
    appeal_by timestamptz,
    next_deadline_at timestamptz,
    next_deadline_kind text,
    return_address jsonb,
    return_waybill jsonb,
    rejection_reason text,
    rejection_note text,
    automatic_approval boolean NOT NULL DEFAULT false,
    seller_timed_out boolean NOT NULL DEFAULT false,
    disputed boolean NOT NULL DEFAULT false,
    dispute jsonb,
    disputed_at timestamptz,
    ruling_outcome text,
    responsible_party text,
    refund_trigger text,
    close_reason text,
    opened_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    ended_at timestamptz,
    last_sequence integer NOT NULL
);
CREATE INDEX refund_cases_order ON refund_cases (order_id, opened_at);
CREATE INDEX refund_cases_shop ON refund_cases (shop_id, opened_at);
CREATE INDEX refund_cases_status ON refund_cases (status, opened_at);
CREATE INDEX refund_cases_deadline ON refund_cases (next_deadline_at);
"""

_DOWNGRADE = """
DROP TABLE refund_cases;
DROP TABLE refund_orders;
DROP TABLE refund_case_index;
DROP TABLE order_facts;
"""


def _run(script: str) -> None:
    # asyncpg prepares each statement: one command per execute.
    for statement in script.split(";"):
        if statement.strip():
            op.execute(statement)


def upgrade() -> None:
    _run(_UPGRADE)


def downgrade() -> None:
    _run(_DOWNGRADE)
