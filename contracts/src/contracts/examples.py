"""One realistic example of every event, from which the golden files and the docs are generated.

The examples tell one story: order O-1001 at shop S-42 is placed, paid, shipped and partly
refunded; they double as the fixtures of the contract tests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from pydantic import BaseModel

from contracts.envelope import Envelope
from contracts.events import aftersales as a
from contracts.events import logistics as lg
from contracts.events import order as o
from contracts.events.base import EventPayload
from contracts.parties import Actor
from contracts.sealing import DataKey, Sealed, seal
from contracts.upcasting import JsonObject
from contracts.values import Address, LineItem, Money, Receiver, SkuQuantity, Waybill

T0 = datetime(2025, 6, 11, 8, 30, tzinfo=UTC)
IDS = {"order_id": "O-1001", "shop_id": "S-42"}
CASE = {**IDS, "case_id": "R-7"}
SHIPMENT = {**IDS, "shipment_id": "SH-1001"}
COMPLAINT = {**IDS, "complaint_id": "CP-3"}


def cny(yuan: float) -> Money:
    return Money(amount=round(yuan * 100), currency="CNY")


RECEIVER = Receiver(
    name="张三",
    phone="13812345678",
    address=Address(province="浙江省", city="杭州市", district="余杭区", street="文一西路 969 号"),
)
EXAMPLE_DATA_KEY = DataKey(key_id="dk-" + "0" * 31 + "1", secret=bytes(range(32)))
"""The published example data key of buyer B-88 (never used outside the examples), so a reader
can try `contracts.sealing.open_sealed` on the examples' sealed receivers."""


def sealed_example(value: BaseModel, n: int = 1) -> Sealed:
    """`value` (a receiver, a signer) sealed under the example key with the n-th fixed example
    nonce."""
    return seal(value, EXAMPLE_DATA_KEY, nonce=n.to_bytes(12, "big"))


def example_sealer(data: JsonObject, value: BaseModel) -> JsonObject:
    """The `Sealer` of the examples: seals an older example's clear value under the example
    key (the compatibility gate decodes the baseline's examples with it)."""
    return seal(value, EXAMPLE_DATA_KEY).model_dump(mode="json")


ITEMS = (
    LineItem(sku="TEA-LJ-250", title="明前龙井 250g", unit_price=cny(128), quantity=2),
    LineItem(sku="CUP-GL-01", title="玻璃茶杯", unit_price=cny(39.9), quantity=1),
)
PICK = (SkuQuantity(sku="TEA-LJ-250", quantity=2), SkuQuantity(sku="CUP-GL-01", quantity=1))
WAYBILL = Waybill(carrier="SF", tracking_number="SF1234567890123")
RETURN_WAYBILL = Waybill(carrier="ZTO", tracking_number="ZTO7788990011")
PAYMENT = {"payment_id": "ALI-2025061100001", "method": o.PaymentMethod.ALIPAY}


def _h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _order_examples() -> list[EventPayload]:
    presale = o.PresaleTerms(
        deposit=cny(50), balance=cny(245.9), balance_starts_at=_h(24), balance_due_by=_h(72)
    )
    return [
        o.OrderPlaced(
            **IDS,
            buyer_id="B-88",
            channel=o.OrderChannel.BUYER,
            goods_kind=o.GoodsKind.PHYSICAL,
            items=ITEMS,
            receiver=sealed_example(RECEIVER),
            items_total=cny(295.9),
            shipping_fee=cny(0),
            discount=cny(0),
            payable=cny(295.9),
            payment_due_by=_h(72),
            presale=None,
            buyer_note="请用顺丰",
        ),
        o.StockReserved(**IDS, items=PICK),
        o.StockRejected(
            **IDS,
            buyer_id="B-88",
            shortages=(
                o.StockShortage(
                    sku="TEA-LJ-250",
                    requested=2,
                    available=1,
                    reason=o.StockShortageReason.PURCHASE_LIMIT_EXCEEDED,
                ),
            ),
        ),
        o.StockReleased(**IDS, items=PICK, reason=o.OrderCloseReason.CANCELLED),
        o.StockLow(**IDS, sku="TEA-LJ-250", available=8, warning_line=10, purchase_limit=2),
        o.PaymentFailed(
            **IDS,
            **PAYMENT,
            stage=o.PaymentStage.FULL,
            amount=cny(295.9),
            failure_code="INSUFFICIENT_BALANCE",
            reason="余额不足",
        ),
        o.OrderPaid(**IDS, **PAYMENT, amount=cny(295.9), paid_at=_h(0.2)),
        o.DuplicatePaymentDetected(
            **IDS,
            payment_id="WX-4200001",
            original_payment_id="ALI-2025061100001",
            method=o.PaymentMethod.WECHAT,
            amount=cny(295.9),
            paid_at=_h(0.3),
            surplus=cny(295.9),
        ),
        o.DepositPaid(
            **IDS,
            **PAYMENT,
            amount=presale.deposit,
            paid_at=_h(0.2),
            balance=presale.balance,
            balance_starts_at=presale.balance_starts_at,
            balance_due_by=presale.balance_due_by,
        ),
        o.BalancePaid(**IDS, **PAYMENT, amount=cny(245.9), paid_at=_h(30), total_paid=cny(295.9)),
        o.BalanceReminderDue(**IDS, balance=cny(245.9), balance_due_by=_h(72)),
        o.PaymentReminderDue(
            **IDS, stage=o.PaymentStage.FULL, amount=cny(295.9), payment_due_by=_h(72)
        ),
        o.AddressChanged(
            **IDS, receiver=sealed_example(RECEIVER.model_copy(update={"phone": "13900001111"}), 2)
        ),
        o.OrderCancelled(
            **IDS, reason=o.CancellationReason.BUYER_CHANGED_MIND, note=None, refund_due=cny(0)
        ),
        o.OrderShipped(**IDS, waybill=WAYBILL, shipped_at=_h(20), auto_confirm_at=_h(20 + 240)),
        o.ShippedAfterClose(**IDS, waybill=WAYBILL, shipped_at=_h(20), items=PICK),
        o.OrderRefundRecorded(
            **IDS, case_id="R-7", amount=cny(39.9), refunded_total=cny(39.9), refundable=cny(256)
        ),
        o.OrderClosed(**IDS, reason=o.OrderCloseReason.UNPAID_TIMEOUT, deposit_forfeited=None),
        o.PersonalDataErased(
            **IDS, buyer_id="B-88", key_ids=(EXAMPLE_DATA_KEY.key_id,), erased_at=_h(24 * 400)
        ),
        o.ReceiptConfirmed(**IDS, automatic=False),
        o.AutoConfirmExtended(
            **IDS, extension_days=5, previous_auto_confirm_at=_h(260), auto_confirm_at=_h(380)
        ),
        o.OrderCompleted(**IDS, settled_amount=cny(256)),
        o.OrderRated(
            **IDS,
            description_score=5,
            service_score=2,
            shipping_speed_score=5,
            comment="好茶",
            answer_due_by=_h(300 + 720),
            append_due_by=_h(300 + 2160),
        ),
        o.RatingFollowUpOpened(**IDS, lowest_score=2, due_by=_h(300 + 24)),
        o.RatingAnswered(**IDS, answer="抱歉让您久等了,已提醒客服改进。"),
        o.RatingAppended(**IDS, comment="客服后来很耐心,追加好评。"),
    ]


def _logistics_examples() -> list[EventPayload]:
    checkpoint = lg.Checkpoint(
        occurred_at=_h(26), status=lg.CheckpointStatus.IN_TRANSIT, location="杭州转运中心",
        description="快件已到达杭州转运中心",
    )  # fmt: skip
    return [
        lg.ShipmentRequested(
            **SHIPMENT,
            items=PICK,
            receiver=sealed_example(RECEIVER),
            ship_by=_h(24.2),
            ship_limit=_h(48.2),
        ),
        lg.ShipmentReceiverChanged(**SHIPMENT, receiver=sealed_example(RECEIVER, 3)),
        lg.Shipped(**SHIPMENT, waybill=WAYBILL, items=PICK, shipped_at=_h(20), ship_by=_h(24.2)),
        lg.TrackingUpdated(**SHIPMENT, waybill=WAYBILL, checkpoint=checkpoint),
        lg.ExceptionRaised(
            **SHIPMENT,
            exception_id="EX-1",
            kind=lg.ExceptionKind.DELAYED,
            description="No scan for 48 hours",
        ),
        lg.ExceptionResolved(
            **SHIPMENT,
            exception_id="EX-1",
            kind=lg.ExceptionKind.DELAYED,
            resolution=lg.ExceptionResolution.TRACED,
            new_waybill=None,
            claim_amount=None,
            note="Carrier found the parcel at the hub",
        ),
        lg.Delivered(
            **SHIPMENT,
            waybill=WAYBILL,
            delivered_at=_h(70),
            signed_by=sealed_example(lg.Signer(name="本人"), 4),
        ),
        lg.ShipDeadlineMissed(**SHIPMENT, deadline=lg.ShipDeadline.TARGET, due_at=_h(24.2)),
        lg.ShipmentCancelled(**SHIPMENT, reason=lg.ShipmentCancellationReason.ORDER_CANCELLED),
    ]


def _aftersales_examples() -> list[EventPayload]:
    cup = (SkuQuantity(sku="CUP-GL-01", quantity=1),)
    return [
        a.RefundRequested(
            **CASE,
            buyer_id="B-88",
            kind=a.RefundKind.RETURN_AND_REFUND,
            reason=a.RefundReason.DAMAGED,
            description="杯子碎了",
            amount=cny(39.9),
            items=cup,
            goods_status=a.GoodsStatus.RECEIVED,
            answer_due_by=_h(72 + 120),
            requested_at=_h(72),
        ),
        a.RefundGoodsStatusCorrected(
            **CASE,
            goods_status=a.GoodsStatus.NOT_RECEIVED,
            status_since=_h(20),
            answer_due_by=_h(72 + 36),
        ),
        a.RefundAmended(
            **CASE,
            kind=a.RefundKind.PARTIAL_REFUND,
            reason=a.RefundReason.DAMAGED,
            description="只退部分",
            amount=cny(20),
            items=cup,
            answer_due_by=_h(200 + 120),
        ),
        a.RefundApproved(
            **CASE,
            amount=cny(39.9),
            automatic=False,
            return_by=_h(80 + 168),
            return_address=Address(province="浙江省", city="杭州市", street="仓库路 1 号"),
        ),
        a.RefundRejected(
            **CASE,
            reason=a.RefundRejectionReason.GOODS_USED_OR_DAMAGED_BY_BUYER,
            note="Photos show use",
            appeal_by=_h(80 + 120),
        ),
        a.ReturnShipped(**CASE, waybill=RETURN_WAYBILL, shipped_at=_h(90), confirm_by=_h(330)),
        a.ReturnReceived(**CASE, note=None),
        a.ReturnRejected(
            **CASE,
            reason=a.ReturnRejectionReason.NOT_THE_GOODS_SHIPPED,
            note=None,
            appeal_by=_h(220),
        ),
        a.Refunded(
            **CASE,
            kind=a.RefundKind.RETURN_AND_REFUND,
            amount=cny(39.9),
            trigger=a.RefundTrigger.RETURN_RECEIVED,
            refunded_at=_h(120),
        ),
        a.RefundWithdrawn(**CASE, note="Found the missing part"),
        a.RefundClosed(**CASE, reason=a.RefundCloseReason.WITHDRAWN),
        a.Disputed(
            **CASE,
            opened_by=a.DisputeParty.BUYER,
            reason="卖家拒绝退款",
            evidence_due_by=_h(200),
        ),
        a.DisputeEvidenceAdded(
            **CASE,
            evidence_id="EV-1",
            submitted_by=a.DisputeParty.BUYER,
            description="Photo of the broken cup on arrival",
            attachments=("https://files.orderflow.example/ev/EV-1.jpg",),
        ),
        a.DisputeResolved(
            **CASE,
            outcome=a.RulingOutcome.PARTIAL_REFUND,
            refund_amount=cny(20),
            responsible_party=a.ResponsibleParty.CARRIER,
            note="Damaged in transit",
        ),
    ]


def _complaint_examples() -> list[EventPayload]:
    return [
        a.ComplaintFiled(
            **COMPLAINT,
            buyer_id="B-88",
            filed_by=a.ComplaintFiler.BUYER,
            about=a.ComplaintAbout.ORDER,
            category=a.ComplaintCategory.GOODS,
            text="茶叶受潮结块",
            attachments=("https://files.orderflow.example/cp/CP-3-1.jpg",),
            filed_at=_h(100),
            accept_due_by=_h(124),
        ),
        a.ComplaintAccepted(**COMPLAINT, note="已收到,正在核实", reply_due_by=_h(172)),
        a.ComplaintAnalysed(
            **COMPLAINT,
            responsibility=a.ComplaintResponsibility.SELLER,
            finding="仓库包装未做防潮",
        ),
        a.ComplaintHandled(
            **COMPLAINT,
            remedy=a.ComplaintRemedy(kind=a.ComplaintRemedyKind.REFUND, refund_case_id="R-7"),
        ),
        a.ComplaintReplied(
            **COMPLAINT, reply="已为您全额退款,抱歉", replied_at=_h(110), follow_up_by=_h(278)
        ),
        a.ComplaintFollowedUp(**COMPLAINT, satisfied=False, comment="还是不满意"),
        a.ComplaintEscalated(
            **COMPLAINT,
            reason=a.ComplaintEscalationReason.BUYER_UNSATISFIED,
            escalated_at=_h(120),
        ),
        a.ComplaintRuled(
            **COMPLAINT,
            outcome=a.ComplaintRulingOutcome.UPHELD,
            responsibility=a.ComplaintResponsibility.SELLER,
            note="商品受潮属卖家责任",
            compensation=cny(10),
            ruled_at=_h(140),
        ),
        a.ComplaintClosed(
            **COMPLAINT, reason=a.ComplaintCloseReason.BUYER_SATISFIED, closed_at=_h(115)
        ),
    ]


_ACTORS: dict[str, Actor] = {
    "order.placed": Actor.BUYER,
    "order.address_changed": Actor.BUYER,
    "order.cancelled": Actor.BUYER,
    "order.receipt_confirmed": Actor.BUYER,
    "order.auto_confirm_extended": Actor.BUYER,
    "order.rated": Actor.BUYER,
    "order.rating_answered": Actor.SELLER,
    "order.rating_appended": Actor.BUYER,
    "logistics.shipped": Actor.SELLER,
    "logistics.exception_raised": Actor.SELLER,
    "logistics.exception_resolved": Actor.SELLER,
    "aftersales.refund_requested": Actor.BUYER,
    "aftersales.refund_amended": Actor.BUYER,
    "aftersales.refund_approved": Actor.SELLER,
    "aftersales.refund_rejected": Actor.SELLER,
    "aftersales.return_shipped": Actor.BUYER,
    "aftersales.return_received": Actor.SELLER,
    "aftersales.return_rejected": Actor.SELLER,
    "aftersales.refund_withdrawn": Actor.BUYER,
    "aftersales.disputed": Actor.BUYER,
    "aftersales.dispute_evidence_added": Actor.BUYER,
    "aftersales.dispute_resolved": Actor.PLATFORM,
    "aftersales.complaint_filed": Actor.BUYER,
    "aftersales.complaint_accepted": Actor.SELLER,
    "aftersales.complaint_analysed": Actor.SELLER,
    "aftersales.complaint_handled": Actor.SELLER,
    "aftersales.complaint_replied": Actor.SELLER,
    "aftersales.complaint_followed_up": Actor.BUYER,
    "aftersales.complaint_ruled": Actor.PLATFORM,
}
_BUILDERS: tuple[Callable[[], list[EventPayload]], ...] = (
    _order_examples,
    _logistics_examples,
    _aftersales_examples,
    _complaint_examples,
)


def example_payloads() -> dict[str, EventPayload]:
    """The example payload of every current event type, keyed by type."""
    return {payload.event_type: payload for build in _BUILDERS for payload in build()}


def example_envelope(payload: EventPayload, position: int = 1) -> Envelope:
    """A deterministic envelope around an example payload (ids derived from the position)."""
    actor = _ACTORS.get(payload.event_type, Actor.SYSTEM)
    return Envelope(
        id=UUID(int=0x0F0F_0000_0000_4000_8000_0000_0000_0000 + position),
        time=T0 + timedelta(minutes=position),
        sequence=position,
        correlationid="corr-O-1001",
        causationid=f"cmd-{position}",
        actor=actor,
        actorid={Actor.BUYER: "B-88", Actor.SELLER: "S-42/staff-3"}.get(actor),
        data=payload,
    )
