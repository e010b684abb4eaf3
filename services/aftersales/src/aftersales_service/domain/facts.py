"""What the aftersales service knows about an order, as the application passes it to commands.

The application keeps these facts in its own table, fed by the order and logistics topics
(agreement 7); the domain only reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from contracts.events.aftersales import GoodsStatus
from contracts.values import Money, SkuQuantity


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """The facts of one order that refunds depend on."""

    order_id: str
    shop_id: str
    buyer_id: str
    currency: str
    ordered: Mapping[str, int]  # units ordered per SKU
    paid: int | None = None  # minor units paid (deposit + balance); None: no payment seen yet
    cancellation_refund_due: int = 0  # already going back to the buyer with the cancellation
    deposit_forfeited: int = 0  # kept by the shop under its presale policy
    closed: bool = False
    shipped_items: tuple[SkuQuantity, ...] = field(default=())
    shipped: bool = False
    delivered: bool = False
    receipt_confirmed: bool = False

    @property
    def goods_status(self) -> GoodsStatus:
        if not self.shipped:
            return GoodsStatus.NOT_SHIPPED
        if self.delivered or self.receipt_confirmed:
            return GoodsStatus.RECEIVED
        return GoodsStatus.NOT_RECEIVED

    @property
    def cancelled_with_refund(self) -> bool:
        return self.cancellation_refund_due > 0

    def money(self, amount: int) -> Money:
        return Money(amount=amount, currency=self.currency)
