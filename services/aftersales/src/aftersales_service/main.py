"""Wiring of the aftersales service: settings, application, lifespan (for uvicorn --factory)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.api import case_commands, case_reads
from aftersales_service.api.context import AftersalesContext
from aftersales_service.application.policies import UpstreamPolicies
from aftersales_service.application.service import AftersalesCommands
from aftersales_service.application.shop_policies import RefundPolicies, default_policy
from aftersales_service.application.timers import CaseDeadlines
from aftersales_service.projections.refund_cases import project_case_event
from aftersales_service.settings import AftersalesSettings
from contracts.parties import Service
from eventing.encoding import ConsumedEvent
from eventing.runtime import ServiceRuntime
from eventing.shop_policies import shop_policy_router


def create_app(settings: AftersalesSettings | None = None) -> FastAPI:
    """The ASGI app; `uvicorn --factory aftersales_service.main:create_app`."""
    settings = settings or AftersalesSettings()
    runtime = ServiceRuntime(Service.AFTERSALES, settings)
    commands = AftersalesCommands(runtime.store, runtime.deadlines)
    policies = RefundPolicies(default_policy(settings))

    async def project(event: ConsumedEvent, connection: AsyncConnection) -> None:
        await project_case_event(event, connection, {})

    runtime.subscribe(
        "order-facts",
        (Service.ORDER, Service.LOGISTICS),
        UpstreamPolicies(commands, policies, runtime.clock, runtime.codec),
    )
    runtime.subscribe("read-model", (Service.AFTERSALES,), project)
    runtime.fire_deadlines(CaseDeadlines(commands, policies, runtime.clock).handlers())
    app = runtime.app(
        title="Aftersales service",
        description="Refund cases, returns, time-outs, disputes and platform rulings.",
        routers=(
            case_commands.router,
            case_reads.router,
            shop_policy_router(runtime, policies.stored, what="after-sales time limits"),
        ),
    )
    app.state.aftersales = AftersalesContext(
        engine=runtime.engine,
        runner=runtime.commands,
        commands=commands,
        policies=policies,
        clock=runtime.clock,
    )
    return app
