"""The read model's view of an order, and masking of personal data for callers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta

from contracts.events.logistics import Signer
from contracts.examples import EXAMPLE_DATA_KEY, sealed_example
from contracts.sealing import DataKey
from eventing.data_keys import KeyErased, PersonalData
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


class ScenarioKeys:
    """The scenarios' buyer key, or none at all once `erased`."""

    def __init__(self, *, erased: bool = False) -> None:
        self.erased = erased

    async def data_key(self, key_id: str) -> DataKey:
        if self.erased:
            raise KeyErased(key_id)
        assert key_id == EXAMPLE_DATA_KEY.key_id
        return EXAMPLE_DATA_KEY

    def forget(self, key_ids: Iterable[str]) -> None:
        return None


def test_the_stored_detail_holds_the_receiver_sealed_only() -> None:
    detail = order_detail(order_state(EVENTS), EVENTS, [])
    assert detail["receiver"]["key_id"] == EXAMPLE_DATA_KEY.key_id
    text = json.dumps(detail, ensure_ascii=False)
    assert [clear for clear in ("张三", "13812345678", "文三路") if clear in text] == []


async def test_masking_hides_name_phone_street_and_signature() -> None:
    detail = await PersonalData(ScenarioKeys()).reveal(
        order_detail(order_state(EVENTS), EVENTS, [])
    )
    shown = masked({**detail, "signed_by": "李雷"}, full=False)
    assert shown["receiver"]["name"] == "张*"
    assert shown["receiver"]["phone"] == "138****5678"
    assert shown["receiver"]["address"]["street"] == "****"
    assert shown["receiver"]["address"]["city"] == "杭州市"
    assert shown["signed_by"] == "李*"
    assert masked(detail, full=True) == detail
    assert detail["receiver"]["name"] == "张三"


async def test_an_erased_receiver_shows_the_marker_to_everyone() -> None:
    detail = await PersonalData(ScenarioKeys(erased=True)).reveal(
        order_detail(order_state(EVENTS), EVENTS, [])
    )
    marker = {"erased": True, "key_id": EXAMPLE_DATA_KEY.key_id}
    assert detail["receiver"] == marker
    assert masked(detail, full=False)["receiver"] == marker


def sealed_delivery() -> dict[str, object]:
    """The timeline row of a delivery whose signer logistics sealed for the buyer."""
    signer = sealed_example(Signer(name="李雷"), 9).model_dump(mode="json")
    return {**DELIVERED, "data": {**DELIVERED["data"], "signed_by": signer}}  # type: ignore[dict-item]


async def test_the_timeline_opens_a_sealed_signer_then_masks_it_by_role() -> None:
    row = sealed_delivery()
    assert "李雷" not in json.dumps(row, ensure_ascii=False)
    revealed = await PersonalData(ScenarioKeys()).reveal(row)
    assert revealed["data"]["signed_by"] == "李雷"
    assert masked(revealed["data"], full=False)["signed_by"] == "李*"
    assert masked(revealed["data"], full=True)["signed_by"] == "李雷"


async def test_an_erased_signer_shows_the_marker_to_everyone() -> None:
    revealed = await PersonalData(ScenarioKeys(erased=True)).reveal(sealed_delivery())
    marker = {"erased": True, "key_id": EXAMPLE_DATA_KEY.key_id}
    assert revealed["data"]["signed_by"] == marker
    assert masked(revealed["data"], full=False)["signed_by"] == marker
