"""Small steps that drive the three services through their public APIs, as people would.

Each step sends one command (or waits for one fact), asserts the answer and returns its JSON,
so an end-to-end test or `make demo` reads as the story of an order:

    urls = ServiceUrls(order_url, logistics_url, aftersales_url)
    async with Actors(urls, TokenIssuer(secret)) as actors:
        order_id = await flows.delivered_order(actors)
        case = await flows.open_refund(actors, order_id, flows.refund_terms(...))

`Actors` holds the HTTP clients of one shop's seller, one buyer, the platform and a system
caller (`Actors.of(system)` on a running `localinfra.system.System`). Rooms: `actors`,
`orders`, `shipping` (and whole stories up to delivery), `refunds`, `topics` (reading and
checking what was published), `faults` (killing and restarting a service process).
"""

from localinfra.flows.actors import (
    Actors,
    Condition,
    Json,
    ServiceUrls,
    SystemLike,
    UnexpectedAnswer,
    Urls,
    answer,
    until,
)
from localinfra.flows.faults import kill, restart, stop
from localinfra.flows.orders import (
    CUP,
    DISCOUNT,
    SHIPPING_FEE,
    TEA,
    Line,
    cancel,
    change_address,
    cny,
    confirm_receipt,
    order,
    order_body,
    order_when,
    pay,
    payable,
    payment,
    place_order,
    rate,
    receiver,
    set_stock,
    stock,
)
from localinfra.flows.refunds import (
    RETRYABLE,
    approve,
    case,
    case_command,
    case_when,
    cases_of,
    confirm_return,
    open_refund,
    refund_terms,
    refusal,
    ship_return,
)
from localinfra.flows.shipping import (
    deliver,
    delivered_order,
    dispatch,
    dispatch_body,
    open_exception,
    paid_order,
    reship,
    shipment_requested,
    shipment_when,
    waybill,
)
from localinfra.flows.topics import (
    first_deliveries,
    has_types,
    out_of_order_streams,
    published,
    published_when,
    types_of,
)

__all__ = [
    "CUP", "DISCOUNT", "RETRYABLE", "SHIPPING_FEE", "TEA", "Actors", "Condition", "Json", "Line",
    "ServiceUrls", "SystemLike", "UnexpectedAnswer", "Urls", "answer", "approve", "cancel",
    "case", "case_command", "case_when", "cases_of", "change_address", "cny", "confirm_receipt",
    "confirm_return", "deliver", "delivered_order", "dispatch", "dispatch_body",
    "first_deliveries", "has_types", "kill", "open_exception", "open_refund", "order",
    "order_body", "order_when", "out_of_order_streams", "paid_order", "pay", "payable",
    "payment", "place_order", "published", "published_when", "rate", "receiver", "refund_terms",
    "refusal", "reship", "restart", "set_stock", "ship_return", "shipment_requested",
    "shipment_when", "stock", "stop", "types_of", "until", "waybill",
]  # fmt: skip
