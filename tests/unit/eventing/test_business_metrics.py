"""Business counters from recorded events: what each fact adds, the bounded shop label, and
counting only what a completed scope (a committed transaction) appended."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from eventing.business_metrics import count_recorded, label_shops, shop_label
from eventing.committed_events import appended, counted_on_commit
from eventing.events import EventMetadata, NewEvent

SHOP = "shop-metrics-unit"


@pytest.fixture(autouse=True)
def _no_labelled_shops() -> Iterator[None]:
    yield
    label_shops(())


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def event(event_type: str, actor_id: str | None = None, **data: Any) -> NewEvent:
    return NewEvent(
        event_type,
        {"order_id": "o-1", "shop_id": SHOP, **data},
        metadata=EventMetadata(actor="system", actor_id=actor_id),
    )


def money(amount: int, currency: str = "CNY") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def recorded(event_type: str, shop: str = "other") -> float:
    return value(
        "orderflow_events_recorded_total", service=event_type.split(".")[0], type=event_type,
        shop=shop,
    )  # fmt: skip


def test_every_event_counts_by_type_and_an_unlisted_shop_as_other() -> None:
    before = recorded("order.placed")
    count_recorded([event("order.placed"), event("order.placed")])
    assert recorded("order.placed") == before + 2


def test_a_listed_shop_gets_its_own_label_and_others_stay_other() -> None:
    label_shops([SHOP, ""])
    before_listed, before_other = recorded("order.rated", SHOP), recorded("order.rated")
    count_recorded([event("order.rated"), NewEvent("order.rated", {"shop_id": "shop-unlisted"})])
    assert recorded("order.rated", SHOP) == before_listed + 1
    assert recorded("order.rated") == before_other + 1
    assert shop_label(None) == shop_label(12) == "other"


def test_payments_add_their_amount_to_gmv_per_currency() -> None:
    before = value("orderflow_gmv_minor_units_total", service="order", shop="other", currency="USD")
    count_recorded(
        [
            event("order.paid", amount=money(1200, "USD")),
            event("order.deposit_paid", amount=money(300, "USD"), balance=money(900, "USD")),
            event("order.balance_paid", amount=money(900, "USD"), total_paid=money(1200, "USD")),
            event("order.payment_failed", amount=money(5000, "USD"), reason="declined"),
        ]
    )
    after = value("orderflow_gmv_minor_units_total", service="order", shop="other", currency="USD")
    assert after == before + 2400


@pytest.mark.parametrize(
    ("event_type", "metric"),
    [("order.cancelled", "orderflow_orders_cancelled_total"),
     ("order.closed", "orderflow_orders_closed_total")],
)  # fmt: skip
def test_cancellations_and_closures_count_by_reason(event_type: str, metric: str) -> None:
    labels = {"service": "order", "shop": "other"}
    before = value(metric, **labels, reason="duplicate_order")
    unknown = value(metric, **labels, reason="unknown")
    count_recorded([event(event_type, reason="duplicate_order"), event(event_type, reason="A b")])
    assert value(metric, **labels, reason="duplicate_order") == before + 1
    assert value(metric, **labels, reason="unknown") == unknown + 1  # never free text


def test_a_refund_counts_once_with_its_amount_and_a_confirmation_timeout() -> None:
    labels = {"service": "aftersales", "shop": "other"}
    refunds = {**labels, "trigger": "return_confirm_timeout", "kind": "return_and_refund"}
    before = (
        value("orderflow_refunds_total", **refunds),
        value("orderflow_refunded_minor_units_total", **labels, currency="CNY"),
        value("orderflow_refund_seller_timeouts_total", **labels, trigger="return_confirm_timeout"),
    )
    count_recorded(
        [event("aftersales.refunded", kind="return_and_refund", amount=money(4500),
               trigger="return_confirm_timeout", case_id="c-1")]
    )  # fmt: skip
    after = (
        value("orderflow_refunds_total", **refunds),
        value("orderflow_refunded_minor_units_total", **labels, currency="CNY"),
        value("orderflow_refund_seller_timeouts_total", **labels, trigger="return_confirm_timeout"),
    )
    assert after == (before[0] + 1, before[1] + 4500, before[2] + 1)


def test_only_an_approval_made_by_the_answer_deadline_is_a_seller_timeout() -> None:
    labels = {"service": "aftersales", "shop": "other", "trigger": "answer_timeout"}
    before = value("orderflow_refund_seller_timeouts_total", **labels)
    count_recorded(
        [
            event("aftersales.refund_approved", "deadline:aftersales.answer", automatic=True),
            event("aftersales.refund_approved", "reaction:order.cancelled", automatic=True),
            event("aftersales.refund_approved", "seller-1", automatic=False),
        ]
    )
    assert value("orderflow_refund_seller_timeouts_total", **labels) == before + 1


def test_sla_breaches_count_by_deadline_and_rulings_by_outcome_and_party() -> None:
    breach = {"service": "logistics", "shop": "other", "deadline": "limit"}
    ruling = {"service": "aftersales", "shop": "other", "outcome": "partial_refund",
              "responsible_party": "carrier"}  # fmt: skip
    before = (
        value("orderflow_sla_breaches_total", **breach),
        value("orderflow_dispute_rulings_total", **ruling),
    )
    count_recorded(
        [
            event("logistics.ship_deadline_missed", deadline="limit"),
            event("aftersales.dispute_resolved", outcome="partial_refund",
                  responsible_party="carrier", refund_amount=money(100), note="n"),
        ]
    )  # fmt: skip
    assert value("orderflow_sla_breaches_total", **breach) == before[0] + 1
    assert value("orderflow_dispute_rulings_total", **ruling) == before[1] + 1


def test_appends_count_only_when_the_outermost_scope_completes() -> None:
    before = recorded("order.stock_low")
    with counted_on_commit():
        appended([event("order.stock_low")], committed=False)
        assert recorded("order.stock_low") == before  # not committed yet
    assert recorded("order.stock_low") == before + 1


def append_in_failing_scope(*, committed: bool = False) -> None:
    with counted_on_commit():
        appended([event("order.stock_low")], committed=committed)
        raise LookupError("the transaction (or savepoint) rolled back")


def test_a_scope_left_by_an_error_forgets_its_appends_and_a_nested_one_joins_its_parent() -> None:
    before = recorded("order.stock_low")
    with pytest.raises(LookupError):
        append_in_failing_scope()
    assert recorded("order.stock_low") == before
    with counted_on_commit():
        with pytest.raises(LookupError):
            append_in_failing_scope()  # a savepoint rolled back
        with counted_on_commit():  # a savepoint released
            appended([event("order.stock_low")], committed=False)
        assert recorded("order.stock_low") == before
    assert recorded("order.stock_low") == before + 1


def test_a_committed_append_or_one_outside_every_scope_counts_at_once() -> None:
    before = recorded("order.stock_low")
    appended([event("order.stock_low")], committed=False)
    with pytest.raises(LookupError):
        append_in_failing_scope(committed=True)  # its own transaction: the caller's failure
    assert recorded("order.stock_low") == before + 2


def test_no_label_value_comes_from_ids_or_amounts() -> None:
    count_recorded([event("order.paid", amount=money(777, "CNY"), payment_id="pay-secret-1")])
    values = {
        value
        for metric in REGISTRY.collect()
        if metric.name.startswith("orderflow_")
        for sample in metric.samples
        for value in sample.labels.values()
    }
    assert values.isdisjoint({"o-1", "pay-secret-1", "777"})
    assert "CNY" in values
