"""The append-only log of full reads of personal data (issue 16, item 4): one row per order and
data subject a response showed in full; the database refuses UPDATE, DELETE and TRUNCATE.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None

_UPGRADE = (
    """
    CREATE TABLE eventing.personal_data_access (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        caller_subject text NOT NULL,
        caller_role text NOT NULL,
        caller_shop_id text,
        data_subject text,
        order_id text NOT NULL,
        fields text[] NOT NULL CHECK (cardinality(fields) > 0),
        endpoint text NOT NULL,
        correlation_id text NOT NULL,
        service text NOT NULL
    )
    """,
    "CREATE INDEX personal_data_access_by_subject_idx"
    " ON eventing.personal_data_access (data_subject, id)",
    "CREATE INDEX personal_data_access_by_order_idx"
    " ON eventing.personal_data_access (order_id, id)",
    "CREATE INDEX personal_data_access_by_caller_idx"
    " ON eventing.personal_data_access (caller_subject, id)",
    """
    CREATE FUNCTION eventing.personal_data_access_is_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'eventing.personal_data_access is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    # Statement level: an UPDATE or DELETE matching no row is refused too.
    """
    CREATE TRIGGER personal_data_access_append_only
        BEFORE UPDATE OR DELETE OR TRUNCATE ON eventing.personal_data_access
        FOR EACH STATEMENT EXECUTE FUNCTION eventing.personal_data_access_is_append_only()
    """,
)

_DOWNGRADE = (
    "DROP TABLE eventing.personal_data_access",
    "DROP FUNCTION eventing.personal_data_access_is_append_only()",
)


def upgrade() -> None:
    for statement in _UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in _DOWNGRADE:
        op.execute(statement)
