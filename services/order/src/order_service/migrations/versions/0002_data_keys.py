"""The buyers' data keys (wrapped by the KEK), the orders sealed under them, and erasures.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("key_id", sa.String(length=35), nullable=False),
        sa.Column("buyer_id", sa.String(length=64), nullable=False),
        sa.Column(
            "kek_id",
            sa.String(length=32),
            nullable=True,
            comment="The KEK that wraps it; null once erased.",
        ),
        sa.Column(
            "wrapped",
            sa.Text(),
            nullable=True,
            comment="RFC 3394 wrap of the key, base64url; null once erased.",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(erased_at IS NULL) = (wrapped IS NOT NULL AND kek_id IS NOT NULL)",
            name="data_keys_wrapped_until_erased",
        ),
        sa.PrimaryKeyConstraint("key_id"),
        comment="Each buyer's data key (wrapped by the KEK); a tombstone once erased.",
    )
    op.create_index(
        "data_keys_one_live_key_per_buyer",
        "data_keys",
        ["buyer_id"],
        unique=True,
        postgresql_where=sa.text("erased_at IS NULL"),
    )
    op.create_table(
        "sealed_orders",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=35), nullable=False),
        sa.Column("buyer_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "key_id"),
        comment="Which orders hold receivers sealed under which data key (for erasure).",
    )
    op.create_index("sealed_orders_by_buyer", "sealed_orders", ["buyer_id"], unique=False)
    op.create_table(
        "buyer_erasures",
        sa.Column("erasure_id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("buyer_id", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "erased_by",
            sa.String(length=128),
            nullable=False,
            comment="The platform caller's subject.",
        ),
        sa.Column("correlation_id", sa.String(length=128), nullable=True),
        sa.Column(
            "key_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The data keys destroyed.",
        ),
        sa.Column(
            "order_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The orders whose receivers they sealed.",
        ),
        sa.PrimaryKeyConstraint("erasure_id"),
        comment="Every erasure of a buyer's personal data (append-only, the erasure's own record).",
    )
    op.create_index(
        "buyer_erasures_by_buyer", "buyer_erasures", ["buyer_id", "erasure_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("buyer_erasures_by_buyer", table_name="buyer_erasures")
    op.drop_table("buyer_erasures")
    op.drop_index("sealed_orders_by_buyer", table_name="sealed_orders")
    op.drop_table("sealed_orders")
    op.drop_index("data_keys_one_live_key_per_buyer", table_name="data_keys")
    op.drop_table("data_keys")
