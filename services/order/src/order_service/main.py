"""The order service declared once (`MANIFEST`) and its app (`uvicorn --factory
order_service.main:create_app`)."""

from __future__ import annotations

from contracts.events.base import OrderEvent
from contracts.parties import Service
from eventing.runtime import ServiceRuntime
from eventing.service import ServiceManifest
from order_service.api import care, commands, figures, personal_data, queries, stock
from order_service.application.commands import OrderRules
from order_service.application.data_keys import custodian_for
from order_service.application.deadlines import deadline_handlers
from order_service.application.reactions import REACTIONS
from order_service.application.shop_policy import default_policy
from order_service.domain.commands import OrderCommand
from order_service.domain.policy import ShopPolicy
from order_service.domain.state import OrderState
from order_service.projections import PROJECTIONS
from order_service.settings import OrderSettings

DESCRIPTION = (
    "Placement with stock reservation, payment (full, presale deposit and balance), address "
    "change, cancellation, automatic close, receipt, rating; SKU stock, shop policies and "
    "shop figures. "
    "Errors are RFC 9457 problem+json; every command takes an Idempotency-Key and order "
    "writes accept If-Match with the order's version (its ETag)."
)


def _rules(runtime: ServiceRuntime, _: OrderSettings) -> OrderRules:
    return OrderRules(runtime.deadlines)


MANIFEST: ServiceManifest[OrderCommand, OrderEvent, OrderState, ShopPolicy, OrderSettings] = (
    ServiceManifest(
        service=Service.ORDER,
        title="Order service",
        description=DESCRIPTION,
        settings=OrderSettings,
        rules=_rules,
        default_policy=default_policy,
        policy_title="order time policy",
        projections=PROJECTIONS,
        reactions=REACTIONS,
        deadlines=deadline_handlers,
        routers=(
            commands.router,
            queries.router,
            stock.router,
            personal_data.router,
            figures.router,
            care.router,
        ),
        pool_size=20,
        data_keys=custodian_for,
    )
)

create_app = MANIFEST.create_app
