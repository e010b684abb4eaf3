"""Read-model rows and decisions as API bodies, masked for the caller."""

from __future__ import annotations

from typing import Any

from contracts.events.base import OrderEvent
from eventing.aggregate import Decision
from eventing.http.auth import Caller
from order_service.api.access import masked, sees_personal_data
from order_service.api.models import (
    CommandOutcome,
    OrderDetail,
    OrderSummary,
    Price,
    TimelineEntry,
)
from order_service.domain.state import OrderState
from order_service.domain.status import platform_status, timeout_at
from order_service.projections.queries import OrderRecord


def command_outcome(decision: Decision[OrderState, OrderEvent]) -> CommandOutcome:
    state = decision.state
    status = platform_status(state)
    money = {"currency": state.currency}
    return CommandOutcome(
        order_id=state.order_id,
        version=decision.version,
        status=state.status.value,
        platform_status=status.value if status else None,
        timeout_at=timeout_at(state),
        events=[event.event_type for event in decision.events],
        detail={
            "paid": {"amount": state.paid, **money},
            "refundable": {"amount": state.refundable, **money},
            "refund_due": {"amount": state.cancellation_refund_due, **money},
            "duplicate_surplus": {"amount": state.surplus, **money},
        },
    )


def order_summary(row: Any) -> OrderSummary:
    def price(amount: int) -> Price:
        return Price(amount=amount, currency=row.currency)

    return OrderSummary(
        order_id=row.order_id,
        shop_id=row.shop_id,
        buyer_id=row.buyer_id,
        status=row.status,
        platform_status=row.platform_status,
        timeout_at=row.timeout_at,
        payable=price(row.payable),
        paid=price(row.paid),
        refunded=price(row.refunded),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def order_detail(record: OrderRecord, caller: Caller) -> OrderDetail:
    row = record.row
    full = sees_personal_data(caller, row.buyer_id, row.shop_id)
    timeline = [
        TimelineEntry(
            source=entry.source,
            type=entry.event_type,
            sequence=entry.sequence,
            occurred_at=entry.occurred_at,
            actor=entry.actor,
            data=masked(
                {k: v for k, v in entry.data.items() if k not in ("order_id", "shop_id")}, full
            ),
        )
        for entry in record.timeline
    ]
    return OrderDetail(
        **order_summary(row).model_dump(),
        detail=masked(dict(row.detail), full),
        timeline=timeline,
    )
