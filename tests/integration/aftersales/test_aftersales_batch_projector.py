"""The refund-case batch projector leaves exactly the rows the per-event projector leaves, for
random streams of the service's events: several cases per order, several orders interleaved,
events of a case that was never opened, redeliveries, cut into random batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from random import Random

import pytest

from aftersales_service.projections import PROJECTIONS
from contracts.events.aftersales import (
    Disputed,
    DisputeEvidenceAdded,
    DisputeParty,
    DisputeResolved,
    GoodsStatus,
    RefundAmended,
    RefundApproved,
    RefundCaseEvent,
    RefundClosed,
    RefundCloseReason,
    Refunded,
    RefundGoodsStatusCorrected,
    RefundKind,
    RefundReason,
    RefundRejected,
    RefundRejectionReason,
    RefundRequested,
    RefundTrigger,
    RefundWithdrawn,
    ResponsibleParty,
    ReturnReceived,
    ReturnRejected,
    ReturnRejectionReason,
    ReturnShipped,
    RulingOutcome,
)
from contracts.values import Address, Money, SkuQuantity, Waybill
from eventing.encoding import ConsumedEvent
from eventing.testing.fixtures import MigratedDatabaseFactory
from tests.integration.batch_projection_kit import (
    TableCopies,
    assert_batches_match_one_by_one,
    random_delivery,
    table_copies,
)

pytestmark = pytest.mark.integration

T0 = datetime(2031, 3, 1, 8, 0, tzinfo=UTC)
SHOP = "shop-1"
_ORDER_BY = {"refund_cases": "case_id", "refund_orders": "order_id"}
_ADDRESS = Address(province="Zhejiang", city="Hangzhou", street="1 Returns Road")
_ITEMS = (SkuQuantity(sku="SKU-A", quantity=1),)
REFUND_CASES = next(p for p in PROJECTIONS if p.name == "refund-cases")


@pytest.fixture
async def copies(migrated_database_factory: MigratedDatabaseFactory) -> AsyncIterator[TableCopies]:
    async with table_copies(await migrated_database_factory("aftersales"), _ORDER_BY) as tables:
        yield tables


def _event(order_id: str, at: datetime, random: Random) -> RefundCaseEvent:
    """One of the service's events for one of the order's cases, any kind, in any order."""
    case_id = f"case-{order_id}-{random.randint(1, 3)}"
    ids = {"order_id": order_id, "shop_id": SHOP, "case_id": case_id}
    money = Money(amount=random.choice([1000, 2500]), currency="CNY")
    later = at + timedelta(days=random.randint(1, 5))
    party = random.choice(list(DisputeParty))
    kind = random.choice(
        ["requested", "requested", "amended", "goods", "approved", "approved", "rejected",
         "return_shipped", "received", "return_rejected", "refunded", "withdrawn", "closed",
         "disputed", "evidence", "evidence", "ruling"]
    )  # fmt: skip
    match kind:
        case "requested":
            reason = random.choice([RefundReason.DAMAGED, RefundReason.CANCELLED_AFTER_SHIPMENT])
            return RefundRequested(
                **ids, buyer_id="buyer-1", kind=random.choice(list(RefundKind)), reason=reason,
                description=random.choice([None, "broken"]), amount=money, items=_ITEMS,
                goods_status=random.choice(list(GoodsStatus)), answer_due_by=later,
            )  # fmt: skip
        case "amended":
            return RefundAmended(
                **ids, kind=RefundKind.REFUND_ONLY, reason=RefundReason.QUALITY_ISSUE,
                description="worse", amount=money, items=_ITEMS, answer_due_by=later,
            )  # fmt: skip
        case "goods":
            return RefundGoodsStatusCorrected(
                **ids, goods_status=GoodsStatus.RECEIVED, status_since=at, answer_due_by=later
            )
        case "approved":
            returned = random.random() < 0.5
            return RefundApproved(
                **ids, amount=money, automatic=random.random() < 0.5,
                return_by=later if returned else None,
                return_address=random.choice([_ADDRESS, None]) if returned else None,
            )  # fmt: skip
        case "rejected":
            return RefundRejected(
                **ids, reason=random.choice(list(RefundRejectionReason)),
                note=random.choice([None, "no"]), appeal_by=later,
            )  # fmt: skip
        case "return_shipped":
            waybill = Waybill(carrier="SF", tracking_number="SF123456789")
            return ReturnShipped(**ids, waybill=waybill, shipped_at=at, confirm_by=later)
        case "received":
            return ReturnReceived(**ids, note=None)
        case "return_rejected":
            return ReturnRejected(
                **ids, reason=random.choice(list(ReturnRejectionReason)), note="torn",
                appeal_by=later,
            )  # fmt: skip
        case "refunded":
            return Refunded(
                **ids, kind=RefundKind.REFUND_ONLY, amount=money,
                trigger=random.choice(list(RefundTrigger)), refunded_at=at,
            )  # fmt: skip
        case "withdrawn":
            return RefundWithdrawn(**ids, note=None)
        case "closed":
            return RefundClosed(**ids, reason=random.choice(list(RefundCloseReason)))
        case "disputed":
            return Disputed(**ids, opened_by=party, reason="unfair", evidence_due_by=later)
        case "evidence":
            return DisputeEvidenceAdded(
                **ids, evidence_id=f"ev-{random.randint(1, 99)}", submitted_by=party,
                description="photo", attachments=("a.jpg",),
            )  # fmt: skip
        case _:
            return DisputeResolved(
                **ids, outcome=random.choice(list(RulingOutcome)), refund_amount=money,
                responsible_party=random.choice(list(ResponsibleParty)), note="ruled",
            )  # fmt: skip


def _scenario(random: Random) -> list[ConsumedEvent]:
    return random_delivery(random, _event, most_events=16)


async def test_batches_of_any_size_leave_the_rows_events_applied_one_by_one_leave(
    copies: TableCopies,
) -> None:
    written = await assert_batches_match_one_by_one(copies, REFUND_CASES.tables, _scenario, 40)
    assert written > 100  # the streams opened and changed cases, not only no-ops
