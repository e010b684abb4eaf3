"""What each event does to the figures rows, as pure functions of (row as last written, event,
when it happened): the projector only reads and writes what these decide.

The definitions follow the services' own figures, so that the dashboard's all-time figures of a
shop equal theirs: shipments as logistics counts them (`logistics_service.projections`), refund
cases as aftersales does (`aftersales_service.projections`: the cancel-vs-ship recovery cases
apart, a seller time-out being a refund released by the answer or return-confirmation time-out
or an automatic approval of a buyer's case), and orders as the dashboard contract defines them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from contracts.events.aftersales import (
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintEvent,
    ComplaintFiled,
    ComplaintRuled,
    Disputed,
    DisputeResolved,
    RefundApproved,
    RefundCaseEvent,
    Refunded,
    RefundReason,
    RefundRequested,
    RefundTrigger,
)
from contracts.events.base import LogisticsEvent, OrderEvent
from contracts.events.logistics import (
    Delivered,
    ExceptionRaised,
    ExceptionResolved,
    ShipDeadline,
    ShipDeadlineMissed,
    ShipmentCancelled,
    ShipmentRequested,
    Shipped,
)
from contracts.events.order import (
    BalancePaid,
    DepositPaid,
    OrderCancelled,
    OrderClosed,
    OrderPaid,
    OrderPlaced,
    OrderRated,
    RatingAnswered,
    RatingFollowUpOpened,
)

Row = Mapping[str, Any]
Columns = dict[str, Any]

CANCELLED = "cancelled"  # logistics' ShipmentStatus values, as its read model stores them
_SHIPMENT_STATUS = {
    ShipmentRequested: "awaiting_dispatch",
    ShipmentCancelled: CANCELLED,
    Shipped: "shipped",
    Delivered: "delivered",
}
_SELLER_TIMEOUTS = (RefundTrigger.ANSWER_TIMEOUT, RefundTrigger.RETURN_CONFIRM_TIMEOUT)


def _first(row: Row | None, column: str, value: Any) -> Any:
    """The value a column keeps: the first one written."""
    kept = row.get(column) if row is not None else None
    return kept if kept is not None else value


def _earliest(row: Row | None, column: str, value: datetime) -> datetime:
    """The earlier of the time kept and `value` (a deposit and a full payment are both a
    first payment; the earlier counts, whichever arrived first)."""
    kept = row.get(column) if row is not None else None
    return value if kept is None else min(kept, value)


def order_columns(row: Row | None, event: OrderEvent, at: datetime) -> Columns:
    """The order row's columns `event` sets (empty: no figure depends on it)."""
    match event:
        case OrderPlaced():
            return {"currency": event.payable.currency, "payable": event.payable.amount,
                    "placed_at": at}  # fmt: skip
        case OrderPaid():
            return {"first_paid_at": _earliest(row, "first_paid_at", event.paid_at),
                    "fully_paid_at": event.paid_at}  # fmt: skip
        case DepositPaid():
            return {"first_paid_at": _earliest(row, "first_paid_at", event.paid_at)}
        case BalancePaid():
            return {"fully_paid_at": event.paid_at}
        case OrderCancelled():
            return {"cancelled_at": _first(row, "cancelled_at", at)}
        case OrderClosed() if row is None or row.get("closed_at") is None:
            # An order ends once: the close that ended it is the one counted.
            forfeited = event.deposit_forfeited
            return {"closed_at": at, "close_reason": event.reason.value,
                    "deposit_forfeited": forfeited.amount if forfeited else None}  # fmt: skip
        case OrderRated():
            return {"rated_at": at, "description_score": event.description_score,
                    "service_score": event.service_score,
                    "shipping_speed_score": event.shipping_speed_score}  # fmt: skip
        case RatingFollowUpOpened():
            return {"rating_follow_up_due_at": event.due_by}
        case RatingAnswered():
            return {"rating_answered_at": at}
    return {}


def payment_row(event: OrderEvent) -> Columns | None:
    """The money an event says was taken (duplicate payments are not takings), or None."""
    match event:
        case OrderPaid():
            stage = "full"
        case DepositPaid():
            stage = "deposit"
        case BalancePaid():
            stage = "balance"
        case _:
            return None
    return {"shop_id": event.shop_id, "stage": stage, "currency": event.amount.currency,
            "amount": event.amount.amount, "paid_at": event.paid_at}  # fmt: skip


def shipment_columns(row: Row | None, event: LogisticsEvent, at: datetime) -> Columns:
    """The shipment row's columns `event` sets (as logistics' own read model sets them)."""
    status = _SHIPMENT_STATUS.get(type(event))
    changes: Columns = {"status": status} if status is not None else {}
    match event:
        case ShipmentRequested():
            changes |= {"requested_at": at, "ship_by": event.ship_by}
        case ShipmentCancelled():
            changes["cancelled_at"] = at
        case Shipped():
            changes["shipped_at"] = event.shipped_at
        case ExceptionRaised():
            changes["exceptions_raised"] = int(row["exceptions_raised"] if row else 0) + 1
        case ExceptionResolved() if event.new_waybill is not None:
            changes["status"] = "shipped"  # reshipped: on its way again
        case ShipDeadlineMissed():
            column = (
                "target_missed_at" if event.deadline is ShipDeadline.TARGET else "limit_missed_at"
            )
            changes[column] = _first(row, column, at)
    return changes


def opened_case(event: RefundRequested, at: datetime) -> Columns:
    """The row of a case just opened."""
    return {"case_id": event.case_id, "order_id": event.order_id, "shop_id": event.shop_id,
            "intercept": event.reason is RefundReason.CANCELLED_AFTER_SHIPMENT,
            "opened_at": at}  # fmt: skip


def case_columns(row: Row, event: RefundCaseEvent, at: datetime) -> Columns:
    """The case row's columns a later event of the case sets."""
    match event:
        case RefundApproved() if event.automatic and not row["intercept"]:
            # The recovery case is approved by design, not by the seller's silence.
            return {"timed_out_at": _first(row, "timed_out_at", at)}
        case Refunded():
            changes: Columns = {"refunded_at": at, "refunded_currency": event.amount.currency,
                                "refunded_amount": event.amount.amount}  # fmt: skip
            if event.trigger in _SELLER_TIMEOUTS:
                changes["timed_out_at"] = _first(row, "timed_out_at", at)
            return changes
        case Disputed():
            return {"disputed_at": _first(row, "disputed_at", at)}
        case DisputeResolved():
            return {"ruled_at": at, "responsible_party": event.responsible_party.value}
    return {}


def filed_complaint(event: ComplaintFiled) -> Columns:
    """The row of a complaint just filed."""
    return {"complaint_id": event.complaint_id, "order_id": event.order_id,
            "shop_id": event.shop_id, "filed_at": event.filed_at}  # fmt: skip


def complaint_columns(event: ComplaintEvent) -> Columns:
    """The complaint row's columns a later event of the complaint sets (as the order service's
    `order_complaints` rows: escalation, end, the last responsibility found)."""
    changes: Columns = {}
    responsibility = getattr(event, "responsibility", None)
    if responsibility is not None:
        changes["responsibility"] = responsibility.value
    match event:
        case ComplaintEscalated():
            changes["escalated_at"] = event.escalated_at
        case ComplaintRuled():
            changes["ended_at"] = event.ruled_at
        case ComplaintClosed():
            changes["ended_at"] = event.closed_at
    return changes
