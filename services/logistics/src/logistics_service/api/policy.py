"""The shop's ship-by policy: readable by anyone signed in, set by its seller or the platform."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.http.auth import CurrentCaller, Role
from eventing.http.commands import CommandResult, IdempotencyKey, IfMatch, etag
from eventing.http.problems import ProblemError, problem_responses
from logistics_service.api.context import Context
from logistics_service.api.models import ShopPolicyRequest, ShopPolicyView
from logistics_service.application.shop_policies import ShopShippingPolicy
from logistics_service.domain.policy import ShippingWindow

ShopId = Annotated[str, Path(min_length=1, max_length=64, description="The shop id.")]


def _view(policy: ShopShippingPolicy) -> ShopPolicyView:
    return ShopPolicyView(
        shop_id=policy.shop_id,
        ship_by_target=policy.window.target,
        ship_by_limit=policy.window.limit,
        version=policy.version,
        is_default=policy.is_default,
        updated_at=policy.updated_at,
        updated_by=policy.updated_by,
    )


router = APIRouter(prefix="/v1/shops", tags=["shop policy"])


@router.get(
    "/{shop_id}/policy",
    summary="Get a shop's ship-by policy",
    response_model=ShopPolicyView,
    responses=problem_responses(401),
)
async def get_policy(shop_id: ShopId, _: CurrentCaller, context: Context) -> JSONResponse:
    async with context.runtime.engine.connect() as connection:
        policy = await context.policies.get(shop_id, connection=connection)
    return JSONResponse(
        _view(policy).model_dump(mode="json"), headers={"ETag": etag(policy.version)}
    )


@router.put(
    "/{shop_id}/policy",
    summary="Set a shop's ship-by policy (applies to orders paid from now on)",
    response_model=ShopPolicyView,
    responses=problem_responses(400, 401, 403, 412, 422),
)
async def put_policy(
    shop_id: ShopId,
    body: ShopPolicyRequest,
    request: Request,
    key: IdempotencyKey,
    expected_version: IfMatch,
    caller: CurrentCaller,
    context: Context,
) -> JSONResponse:
    if not (caller.is_seller_of(shop_id) or caller.role is Role.PLATFORM):
        raise ProblemError(
            403, "forbidden", "Forbidden", "only the shop's seller or the platform may"
        )
    window = ShippingWindow(target=body.ship_by_target, limit=body.ship_by_limit)

    async def work(connection: AsyncConnection) -> CommandResult:
        policy = await context.policies.put(
            shop_id,
            window,
            by=f"{caller.role.value}:{caller.subject}",
            at=context.runtime.clock.now(),
            expected_version=expected_version,
            connection=connection,
        )
        return CommandResult(_view(policy).model_dump(mode="json"), version=policy.version)

    return await context.runtime.commands.run(request, key, caller, work)
