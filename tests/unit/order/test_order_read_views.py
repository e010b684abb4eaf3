"""The read model's view of an order, and masking of personal data for callers."""

from __future__ import annotations

from datetime import timedelta

from eventing.http.access import Parties, masked, may_see, sees_personal_data
from eventing.http.auth import Caller, Role
from order_service.domain.commands import ConfirmReceipt, RecordRefund
from order_service.projections.projector import order_detail, order_state, summary_columns

from .order_scenarios import BUYER_ID, PAYABLE, SHOP_ID, T0, history, pay, place_order, ship

EVENTS = history(place_order(), pay(), ship(), RecordRefund("c-1", 1000, "CNY"))
DELIVERED = {
    "source": "logistics",
    "event_type": "logistics.delivered",
    "data": {"delivered_at": "2026-11-12T08:00:00Z", "signed_by": "李雷"},
}
REFUNDED = {"source": "aftersales", "event_type": "aftersales.refunded", "data": {"case_id": "c-1"}}


def test_the_detail_shows_amounts_shipment_delivery_and_refund_cases() -> None:
    state = order_state(EVENTS)
    detail = order_detail(state, EVENTS, [DELIVERED, REFUNDED])
    assert detail["amounts"]["refundable"]["amount"] == PAYABLE - 1000
    assert detail["shipment"]["delivered_at"] == "2026-11-12T08:00:00Z"
    assert detail["shipment"]["waybill"]["carrier"] == "SF"
    assert detail["refund_cases"] == {"c-1": "refunded"}
    columns = summary_columns(state)
    assert columns["platform_status"] == "WAIT_BUYER_CONFIRM_GOODS"
    assert columns["timeout_at"] == T0 + timedelta(hours=20) + timedelta(days=10)


def test_a_completed_order_has_no_time_out() -> None:
    completed = history(place_order(), pay(), ship(), ConfirmReceipt(at=T0 + timedelta(days=1)))
    columns = summary_columns(order_state(completed))
    assert columns["platform_status"] == "TRADE_FINISHED"
    assert columns["timeout_at"] is None


def test_who_sees_the_order_and_its_personal_data() -> None:
    buyer = Caller(Role.BUYER, BUYER_ID)
    stranger = Caller(Role.BUYER, "someone-else")
    seller = Caller(Role.SELLER, "clerk", SHOP_ID)
    ops = Caller(Role.OPS, "oncall")
    order = Parties(BUYER_ID, SHOP_ID)
    assert may_see(buyer, order)
    assert not may_see(stranger, order)
    assert not may_see(Caller(Role.SELLER, "clerk", "other-shop"), order)
    assert may_see(ops, order)
    assert sees_personal_data(seller, order)
    assert not sees_personal_data(ops, order)


def test_masking_hides_name_phone_street_and_signature() -> None:
    detail = order_detail(order_state(EVENTS), EVENTS, [])
    shown = masked({**detail, "signed_by": "李雷"}, full=False)
    assert shown["receiver"]["name"] == "张*"
    assert shown["receiver"]["phone"] == "138****5678"
    assert shown["receiver"]["address"]["street"] == "****"
    assert shown["receiver"]["address"]["city"] == "杭州市"
    assert shown["signed_by"] == "李*"
    assert masked(detail, full=True) == detail
