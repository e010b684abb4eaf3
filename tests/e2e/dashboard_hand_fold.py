"""The shop figures folded by hand from the three topics' records, for the dashboard's browser
test to hold the page and the services' figures endpoints against.

Written from the definitions in docs/dashboard.md, independently of the dashboard's own fold
(which is what it checks): a plain pass over the decoded envelopes, first deliveries only, over
all time (`period=all`). Money is `{currency: minor units}`; shares are None without a
denominator, like the APIs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from contracts.envelope import Envelope
from contracts.events.aftersales import (
    Disputed,
    DisputeResolved,
    RefundApproved,
    Refunded,
    RefundReason,
    RefundRequested,
    RefundTrigger,
)
from contracts.events.logistics import (
    ExceptionRaised,
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
    OrderCloseReason,
    OrderPaid,
    OrderPlaced,
    OrderRated,
)
from localinfra.flows.topics import first_deliveries

RATING_WINDOW = timedelta(days=180)
_UNPAID_CLOSES = (OrderCloseReason.UNPAID_TIMEOUT, OrderCloseReason.BALANCE_TIMEOUT)
_SELLER_TIMEOUTS = (RefundTrigger.ANSWER_TIMEOUT, RefundTrigger.RETURN_CONFIRM_TIMEOUT)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class _Order:
    currency: str = ""
    payable: int = 0
    placed: bool = False
    first_paid_at: datetime | None = None
    last_paid_at: datetime | None = None
    paid_total: int = 0


@dataclass
class _Shipment:
    requested: bool = False
    shipped_at: datetime | None = None
    target_missed: bool = False
    limit_missed: bool = False
    exceptions: int = 0
    cancelled: bool = False


@dataclass
class _Case:
    buyer_case: bool = True
    refunded: int = 0
    currency: str = ""
    timed_out: bool = False
    disputed: bool = False
    ruled: bool = False
    against_seller: bool = False


@dataclass
class _Shop:
    orders: dict[str, _Order] = field(default_factory=lambda: defaultdict(_Order))
    shipments: dict[str, _Shipment] = field(default_factory=lambda: defaultdict(_Shipment))
    cases: dict[str, _Case] = field(default_factory=lambda: defaultdict(_Case))
    gmv: Counter[str] = field(default_factory=Counter)
    cancelled: int = 0
    auto_closed_unpaid: int = 0
    deposits: tuple[int, Counter[str]] = (0, Counter())
    balances: tuple[int, Counter[str]] = (0, Counter())
    ratings: list[tuple[datetime, int, int, int]] = field(default_factory=list)


def fold(envelopes: list[Envelope], now: datetime) -> dict[str, dict[str, Any]]:
    """Every shop's figures over all time, by shop id."""
    shops: dict[str, _Shop] = defaultdict(_Shop)
    for envelope in first_deliveries(envelopes):
        event = envelope.data
        shop = shops[event.shop_id]
        _apply(shop, event, envelope.subject, envelope.time)
    return {shop_id: _figures(shop, now) for shop_id, shop in shops.items()}


def _apply(shop: _Shop, event: Any, order_id: str, at: datetime) -> None:
    order, shipment = shop.orders[order_id], shop.shipments[order_id]
    match event:
        case OrderPlaced():
            order.placed, order.currency = True, event.payable.currency
            order.payable = event.payable.amount
        case OrderPaid() | DepositPaid() | BalancePaid():
            if order.first_paid_at is None and not isinstance(event, BalancePaid):
                order.first_paid_at = event.paid_at
            order.last_paid_at = event.paid_at
            order.paid_total = (
                event.total_paid.amount if isinstance(event, BalancePaid) else event.amount.amount
            )
            shop.gmv[event.amount.currency] += event.amount.amount
            if isinstance(event, DepositPaid):
                shop.deposits = _counted(shop.deposits, event.amount.currency, event.amount.amount)
            if isinstance(event, BalancePaid):
                shop.balances = _counted(shop.balances, event.amount.currency, event.amount.amount)
        case OrderCancelled():
            shop.cancelled += 1
        case OrderClosed() if event.reason in _UNPAID_CLOSES:
            shop.auto_closed_unpaid += 1
        case OrderRated():
            scores = (event.description_score, event.service_score, event.shipping_speed_score)
            shop.ratings.append((at, *scores))
        case ShipmentRequested():
            shipment.requested = True
        case Shipped():
            if shipment.shipped_at is None:
                shipment.shipped_at = event.shipped_at
        case ShipDeadlineMissed():
            if event.deadline is ShipDeadline.TARGET:
                shipment.target_missed = True
            else:
                shipment.limit_missed = True
        case ExceptionRaised():
            shipment.exceptions += 1
        case ShipmentCancelled():
            shipment.cancelled = True
        case RefundRequested():
            case = shop.cases[event.case_id]
            case.buyer_case = event.reason is not RefundReason.CANCELLED_AFTER_SHIPMENT
            case.currency = event.amount.currency
        case RefundApproved():
            case = shop.cases[event.case_id]
            case.timed_out = case.timed_out or (event.automatic and case.buyer_case)
        case Refunded():
            case = shop.cases[event.case_id]
            case.refunded = event.amount.amount
            case.timed_out = case.timed_out or event.trigger in _SELLER_TIMEOUTS
        case Disputed():
            shop.cases[event.case_id].disputed = True
        case DisputeResolved():
            case = shop.cases[event.case_id]
            case.ruled = True
            case.against_seller = event.responsible_party.value == "seller"


def _counted(
    tally: tuple[int, Counter[str]], currency: str, amount: int
) -> tuple[int, Counter[str]]:
    count, amounts = tally
    return count + 1, amounts + Counter({currency: amount})


def _figures(shop: _Shop, now: datetime) -> dict[str, Any]:
    placed = [o for o in shop.orders.values() if o.placed]
    paid = [o for o in shop.orders.values() if o.first_paid_at is not None]
    payable: Counter[str] = Counter()
    for order in paid:
        payable[order.currency] += order.payable
    per_currency = Counter(o.currency for o in paid)
    recent = [r for r in shop.ratings if now - r[0] <= RATING_WINDOW]
    shipments = shop.shipments.values()
    shipped = [s for s in shipments if s.shipped_at is not None]
    delays = [
        s.shipped_at - paid_at
        for order_id, s in shop.shipments.items()
        if s.shipped_at is not None and (paid_at := shop.orders[order_id].last_paid_at)
    ]
    within = [sum(1 for d in delays if d <= timedelta(hours=h)) for h in (24, 48)]
    with_exceptions = sum(1 for s in shipments if s.exceptions > 0)
    cases = [c for c in shop.cases.values() if c.buyer_case]
    refunded: Counter[str] = Counter()
    for case in cases:
        if case.refunded:
            refunded[case.currency] += case.refunded
    paid_amount = sum(o.paid_total for o in paid)
    disputes = sum(1 for c in cases if c.disputed)
    rulings = sum(1 for c in cases if c.ruled)
    return {
        "orders": {
            "placed": len(placed),
            "paid": len(paid),
            "gmv": dict(+shop.gmv),
            "payment_conversion": share(sum(1 for o in placed if o.first_paid_at), len(placed)),
            "average_order_value": {
                currency: _rounded(payable[currency], count)
                for currency, count in per_currency.items()
            },
            "cancelled": shop.cancelled,
            "auto_closed_unpaid": shop.auto_closed_unpaid,
            "presale_deposits": {"count": shop.deposits[0], "amount": dict(+shop.deposits[1])},
            "presale_balances": {"count": shop.balances[0], "amount": dict(+shop.balances[1])},
        },
        "ratings": {
            "count": len(recent),
            "description": _mean([r[1] for r in recent]),
            "service": _mean([r[2] for r in recent]),
            "shipping_speed": _mean([r[3] for r in recent]),
        },
        "shipping": {
            "requested": sum(1 for s in shipments if s.requested),
            "shipped": len(shipped),
            "within_24h_share": share(within[0], len(shipped)),
            "within_48h_share": share(within[1], len(shipped)),
            "target_missed": sum(1 for s in shipments if s.target_missed),
            "limit_missed": sum(1 for s in shipments if s.limit_missed),
            "with_exceptions": with_exceptions,
            "exception_rate": share(with_exceptions, len(shipped)),
            "cancelled": sum(1 for s in shipments if s.cancelled and s.requested),
        },
        "aftersales": {
            "paid_orders": len(paid),
            "cases": len(cases),
            "refund_rate": share(len(cases), len(paid)),
            "refunded": dict(+refunded),
            "refund_amount_rate": share(sum(refunded.values()), paid_amount),
            "timeouts": sum(1 for c in cases if c.timed_out),
            "disputes": disputes,
            "dispute_rate": share(disputes, len(cases)),
            "rulings": rulings,
            "ruled_against_seller_share": share(sum(1 for c in cases if c.against_seller), rulings),
        },
    }


def _rounded(total: int, count: int) -> int:
    return int((Decimal(total) / count).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _mean(values: list[int]) -> float | None:
    """The average score, rounded half up to two decimals (docs/dashboard.md, "Ratings")."""
    if not values:
        return None
    mean = Decimal(sum(values)) / len(values)
    return float(mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
