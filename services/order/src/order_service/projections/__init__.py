"""Read models of the order service: order detail with its cross-service timeline, lists, the
per-order facts of the shop figures, the shop's ratings and its customer-care queue.

`PROJECTIONS` is what `orderctl rebuild/verify` discovers. SKU stock is not a projection: the
`sku_stock` table is the service's own state and is read directly.
"""

from __future__ import annotations

from contracts.parties import Service
from eventing.projections import Projection
from eventing.rebuild import ProjectionTables
from order_service.projections.projector import project_order_event, project_order_events
from order_service.projections.tables import (
    order_complaints,
    order_figures,
    order_rating,
    order_timeline,
    order_view,
    shop_queue,
)

ORDER_READ_MODEL = Projection(
    name="order-read-model",
    description="Order detail, cross-service timeline, order lists (by buyer, shop, status), "
    "the facts the shop figures count (complaints too), the shop's ratings and its customer-care "
    "queue.",
    tables=ProjectionTables(
        tables=(
            order_view.name,
            order_timeline.name,
            order_figures.name,
            order_rating.name,
            shop_queue.name,
            order_complaints.name,
        ),
        projector=project_order_event,
        batch_projector=project_order_events,
    ),
    topics=(Service.ORDER, Service.LOGISTICS, Service.AFTERSALES),
    subscription="read-model",  # the deployed consumer group `order.read-model`
)

PROJECTIONS: tuple[Projection, ...] = (ORDER_READ_MODEL,)
