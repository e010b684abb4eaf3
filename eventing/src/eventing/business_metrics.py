"""Business counters derived from the events a service recorded (committed, counted once).

Every committed event counts in `orderflow_events_recorded_total{service,type,shop}` (orders
placed, paid, disputes opened... are its `type`s); the few facts that need a reason, an outcome or
money get their own counter, read from the event's data. Amounts are summed in minor units with
the currency as a label; no id, buyer or amount ever becomes a label. The `shop` label is bounded
by an allow-list (`METRICS_SHOPS`): a listed shop gets its own series, every other shop counts
as `other`. `eventing.committed_events` decides *when* events count (after their commit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import Counter

from eventing.events import NewEvent

OTHER_SHOPS = "other"
_LABEL_VALUE = re.compile(r"[a-z0-9_]{1,64}")  # contract enums; anything else is not a label
_CURRENCY = re.compile(r"[A-Z]{3}")

EVENTS_RECORDED = Counter(
    "orderflow_events_recorded_total",
    "Events the service recorded (committed), by type; orders placed = type order.placed",
    ["service", "type", "shop"],
)
ORDERS_CANCELLED = Counter(
    "orderflow_orders_cancelled_total", "Orders cancelled, by reason", ["service", "shop", "reason"]
)
ORDERS_CLOSED = Counter(
    "orderflow_orders_closed_total",
    "Orders that ended without completing, by reason",
    ["service", "shop", "reason"],
)
GMV = Counter(
    "orderflow_gmv_minor_units_total",
    "Money paid for orders (full payments, deposits and balances), in minor units",
    ["service", "shop", "currency"],
)
REFUNDS = Counter(
    "orderflow_refunds_total",
    "Refunds paid out to buyers, by what released them and the kind of case",
    ["service", "shop", "trigger", "kind"],
)
REFUNDED = Counter(
    "orderflow_refunded_minor_units_total",
    "Money refunded to buyers, in minor units",
    ["service", "shop", "currency"],
)
SLA_BREACHES = Counter(
    "orderflow_sla_breaches_total",
    "Shipments that missed a ship-by deadline (target or limit)",
    ["service", "shop", "deadline"],
)
REFUND_TIMEOUTS = Counter(
    "orderflow_refund_seller_timeouts_total",
    "Refund cases decided because the seller let a deadline pass (answer or return receipt)",
    ["service", "shop", "trigger"],
)
RULINGS = Counter(
    "orderflow_dispute_rulings_total",
    "Disputes the platform ruled on, by outcome and the party held responsible",
    ["service", "shop", "outcome", "responsible_party"],
)

_labelled_shops: frozenset[str] = frozenset()


def label_shops(shops: Iterable[str]) -> None:
    """The shops whose facts carry their own `shop` label in this process (set at startup from
    `METRICS_SHOPS`); every other shop is counted as `other`."""
    global _labelled_shops
    _labelled_shops = frozenset(shop for shop in shops if shop)


def shop_label(shop_id: object) -> str:
    """`shop_id` itself when it is on the allow-list, else `other`."""
    return shop_id if isinstance(shop_id, str) and shop_id in _labelled_shops else OTHER_SHOPS


def count_recorded(events: Iterable[NewEvent]) -> None:
    """Count committed events: each in `orderflow_events_recorded_total`, and the facts with a
    reason, outcome or amount in their own counter."""
    for event in events:
        service = event.event_type.split(".", 1)[0]  # types are `<producer>.<fact>`
        data = event.data
        shop = shop_label(data.get("shop_id"))
        EVENTS_RECORDED.labels(service, event.event_type, shop).inc()
        _count_fact(event, service, shop, data)


def _count_fact(event: NewEvent, service: str, shop: str, data: Mapping[str, Any]) -> None:
    kind = event.event_type
    if kind == "order.cancelled":
        ORDERS_CANCELLED.labels(service, shop, _label(data.get("reason"))).inc()
    elif kind == "order.closed":
        ORDERS_CLOSED.labels(service, shop, _label(data.get("reason"))).inc()
    elif kind in ("order.paid", "order.deposit_paid", "order.balance_paid"):
        _add_money(GMV, service, shop, data.get("amount"))
    elif kind == "aftersales.refunded":
        trigger = _label(data.get("trigger"))
        REFUNDS.labels(service, shop, trigger, _label(data.get("kind"))).inc()
        _add_money(REFUNDED, service, shop, data.get("amount"))
        if trigger == "return_confirm_timeout":
            REFUND_TIMEOUTS.labels(service, shop, trigger).inc()
    elif kind == "aftersales.refund_approved" and _by_deadline(event) and data.get("automatic"):
        # An automatic approval made by the answer deadline (not the cancel-vs-ship policy,
        # which approves automatically too, as a reaction).
        REFUND_TIMEOUTS.labels(service, shop, "answer_timeout").inc()
    elif kind == "logistics.ship_deadline_missed":
        SLA_BREACHES.labels(service, shop, _label(data.get("deadline"))).inc()
    elif kind == "aftersales.dispute_resolved":
        outcome, party = _label(data.get("outcome")), _label(data.get("responsible_party"))
        RULINGS.labels(service, shop, outcome, party).inc()


def _by_deadline(event: NewEvent) -> bool:
    return (event.metadata.actor_id or "").startswith("deadline:")


def _label(value: object) -> str:
    """A contract enum value as a label; anything else (never expected) as `unknown`, so a
    label can never carry free text."""
    return value if isinstance(value, str) and _LABEL_VALUE.fullmatch(value) else "unknown"


def _add_money(counter: Counter, service: str, shop: str, money: object) -> None:
    if not isinstance(money, Mapping):
        return
    amount, currency = money.get("amount"), money.get("currency")
    if (
        isinstance(amount, int)
        and amount > 0
        and isinstance(currency, str)
        and _CURRENCY.fullmatch(currency)
    ):
        counter.labels(service, shop, currency).inc(amount)
