"""The shop's refund policy: readable by anyone signed in, set by its seller or the platform."""

from __future__ import annotations

from fastapi import APIRouter, Request

from aftersales_service.api.context import context, forbidden
from aftersales_service.application.shop_policies import ShopRefundPolicy
from eventing.http.auth import CurrentCaller, Role
from eventing.http.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["shop policy"])


@router.get(
    "/shops/{shop_id}/policy",
    response_model=ShopRefundPolicy,
    responses=problem_responses(401),
    summary="The shop's after-sales time limits (defaults until the shop sets its own)",
)
async def get_policy(request: Request, shop_id: str, _: CurrentCaller) -> ShopRefundPolicy:
    app = context(request)
    async with app.engine.connect() as connection:
        return await app.policies.get(connection, shop_id)


@router.put(
    "/shops/{shop_id}/policy",
    response_model=ShopRefundPolicy,
    responses=problem_responses(401, 403, 422),
    summary="Set the shop's after-sales time limits (its seller or the platform); applies to "
    "deadlines started from now on",
)
async def put_policy(
    request: Request, shop_id: str, body: ShopRefundPolicy, caller: CurrentCaller
) -> ShopRefundPolicy:
    if not (caller.role is Role.PLATFORM or caller.is_seller_of(shop_id)):
        raise forbidden("a shop's policy is set by its seller or the platform")
    app = context(request)
    async with app.engine.begin() as connection:
        await app.policies.put(connection, shop_id, body, f"{caller.role.value}:{caller.subject}")
    return body
