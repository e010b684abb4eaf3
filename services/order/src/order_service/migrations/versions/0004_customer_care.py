"""Customer care (issue 21): the shop's rating list (`order_rating`), its queue (`shop_queue`),
and the follow-up facts of a rating in `order_figures`.

Revision ID: 0004
Revises: 0003

Read models: orders rated or reminded before this revision get their rows from
`orderctl rebuild order`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "order_figures",
        sa.Column(
            "rating_follow_up_due_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="order.rating_follow_up_opened: a medium or bad rating to answer by then.",
        ),
    )
    op.add_column(
        "order_figures",
        sa.Column(
            "rating_answered_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="order.rating_answered.",
        ),
    )
    op.create_table(
        "order_rating",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_id", sa.String(length=64), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description_score", sa.SmallInteger(), nullable=False),
        sa.Column("service_score", sa.SmallInteger(), nullable=False),
        sa.Column("shipping_speed_score", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column(
            "answer_due_by",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="None: no window (older ratings).",
        ),
        sa.Column("append_due_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "follow_up_due_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Set for medium or bad ratings.",
        ),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appended_comment", sa.Text(), nullable=True),
        sa.Column("appended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "version", sa.Integer(), nullable=False, comment="Stream version of the order shown."
        ),
        sa.PrimaryKeyConstraint("order_id"),
        comment="One row per rated order: the rating, the seller's answer, the buyer's follow-up "
        "comment, for the shop's rating list.",
    )
    op.create_index("order_rating_by_shop", "order_rating", ["shop_id", "rated_at", "order_id"])
    op.create_table(
        "shop_queue",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=32),
            nullable=False,
            comment="rating_follow_up, payment_reminded...",
        ),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "due_at", sa.DateTime(timezone=True), nullable=False, comment="Overdue after this."
        ),
        sa.Column(
            "closed_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Answered, paid or ended.",
        ),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "version", sa.Integer(), nullable=False, comment="Stream version of the order shown."
        ),
        sa.PrimaryKeyConstraint("order_id", "kind"),
        comment="The shop's customer-care queue: one entry per order and kind of task (a medium "
        "or bad rating to follow up, an unpaid order reminded to pay), open until dealt with.",
    )
    op.create_index("shop_queue_by_shop", "shop_queue", ["shop_id", "due_at", "order_id"])


def downgrade() -> None:
    op.drop_index("shop_queue_by_shop", table_name="shop_queue")
    op.drop_table("shop_queue")
    op.drop_index("order_rating_by_shop", table_name="order_rating")
    op.drop_table("order_rating")
    op.drop_column("order_figures", "rating_answered_at")
    op.drop_column("order_figures", "rating_follow_up_due_at")
