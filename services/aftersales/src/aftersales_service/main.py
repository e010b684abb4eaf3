"""The aftersales service declared once: `MANIFEST`, and `create_app` for
`uvicorn --factory aftersales_service.main:create_app`."""

from __future__ import annotations

from aftersales_service.api import commands, complaint_commands, complaint_queries, queries
from aftersales_service.application.commands import AftersalesRules
from aftersales_service.application.deadlines import deadline_handlers
from aftersales_service.application.reactions import REACTIONS
from aftersales_service.application.shop_policy import default_policy
from aftersales_service.domain.commands import Command
from aftersales_service.domain.policy import RefundPolicy
from aftersales_service.domain.state import AftersalesState
from aftersales_service.projections import PROJECTIONS
from aftersales_service.settings import AftersalesSettings
from contracts.events.aftersales import AftersalesStreamEvent
from contracts.parties import Service
from eventing.runtime import ServiceRuntime
from eventing.service import ServiceManifest


def _rules(runtime: ServiceRuntime, _: AftersalesSettings) -> AftersalesRules:
    return AftersalesRules(runtime.deadlines)


MANIFEST: ServiceManifest[
    Command, AftersalesStreamEvent, AftersalesState, RefundPolicy, AftersalesSettings
] = ServiceManifest(
    service=Service.AFTERSALES,
    title="Aftersales service",
    description=(
        "Refund cases, returns, time-outs, disputes and platform rulings; complaints and "
        "their escalation."
    ),
    settings=AftersalesSettings,
    rules=_rules,
    default_policy=default_policy,
    policy_title="after-sales time limits",
    projections=PROJECTIONS,
    reactions=REACTIONS,
    deadlines=deadline_handlers,
    routers=(
        commands.router,
        queries.router,
        complaint_commands.router,
        complaint_queries.router,
    ),
)
create_app = MANIFEST.create_app
