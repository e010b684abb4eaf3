"""The order service as key custodian: the wrapped data keys for the services that may read
personal data, and the erasure of a buyer's personal data by destroying their keys.

`POST /v1/buyers/{buyer_id}/erasure` (platform) destroys every live data key of the buyer in
one transaction, records `order.personal_data_erased` on each order sealed under them (refused
as a whole, 409 `erasure-blocked`, while one of them may still ship) and the erasure itself
(`GET` reads the latest back). Repeating it once nothing is left answers the last erasure again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.sealing import KEY_ID_PATTERN
from eventing.data_keys import DATA_KEY_PATH, KeyErased, UnknownKey, WrappedKeyAnswer
from eventing.http.auth import Caller, Role, require_roles
from eventing.http.commands import CommandResult, IdempotencyKey
from eventing.http.endpoints import correlation_id, request_acting
from eventing.http.paths import identifier_path
from eventing.http.problems import ProblemError, problem_responses
from order_service.api.context import COMMAND_PROBLEMS, Kit
from order_service.application.data_keys import buyer_erasures, custodian_of
from order_service.domain.commands import ErasePersonalData

router = APIRouter(tags=["personal data"])

BuyerId = Annotated[str, identifier_path("The buyer id.")]
KeyId = Annotated[str, Path(pattern=KEY_ID_PATTERN, max_length=35, description="A data key id.")]
KeyReaders = Annotated[Caller, Depends(require_roles(Role.SYSTEM))]
Erasers = Annotated[Caller, Depends(require_roles(Role.PLATFORM))]
ErasureReaders = Annotated[Caller, Depends(require_roles(Role.PLATFORM, Role.OPS))]


class Erasure(BaseModel):
    """One erasure of a buyer's personal data: which keys died and which orders they sealed."""

    buyer_id: str = Field(description="The erased buyer.")
    erased_at: datetime = Field(description="When the keys were destroyed.")
    erased_by: str = Field(description="The platform caller who erased.")
    key_ids: list[str] = Field(description="The data keys destroyed.")
    order_ids: list[str] = Field(description="The orders whose receivers are erased.")


@router.get(
    DATA_KEY_PATH,
    summary="A buyer's data key, wrapped by the key-encryption key (services only)",
    description="For the services that open receivers (system callers). The key is wrapped "
    "(RFC 3394) by the KEK: unwrap it with the KEK from your configuration. 410 "
    "`data-key-erased` once the buyer was erased: what it sealed is gone for good.",
    response_model=WrappedKeyAnswer,
    responses=problem_responses(401, 403, 404, 410, 422),
)
async def get_data_key(key_id: KeyId, _: KeyReaders, kit: Kit) -> WrappedKeyAnswer:
    custodian = custodian_of(kit.personal_data.keys)
    try:
        return WrappedKeyAnswer.of(await custodian.wrapped_key(key_id))
    except KeyErased as error:
        raise ProblemError(410, "data-key-erased", "The data key was erased", str(error)) from error
    except UnknownKey as error:
        raise ProblemError(
            404, "data-key-not-found", "No such data key", f"no data key {key_id}"
        ) from error


@router.post(
    "/v1/buyers/{buyer_id}/erasure",
    summary="Erase a buyer's personal data (destroys their data keys; platform only)",
    description="Every receiver sealed for the buyer becomes unreadable everywhere (stores, "
    'topics, dead letters, read models, backups): views show `{"erased": true}` in its '
    "place, orders, money and figures stay. Refused with 409 `erasure-blocked` while one of "
    "the buyer's orders may still ship. A later order of the buyer gets a new key. Repeating "
    "it answers the latest erasure again.",
    response_model=Erasure,
    responses={**COMMAND_PROBLEMS, **problem_responses(404)},
)
async def erase_buyer(
    buyer_id: BuyerId, request: Request, caller: Erasers, key: IdempotencyKey, kit: Kit
) -> JSONResponse:
    custodian = custodian_of(kit.personal_data.keys)
    acting = request_acting(request, caller)
    correlation = correlation_id(request)

    async def work(connection: AsyncConnection) -> CommandResult:
        at = kit.runtime.clock.now()  # run() has just refreshed a movable clock
        key_ids, sealed = await custodian.erase(connection, buyer_id, at)
        if not key_ids:
            latest = await _latest_erasure(connection, buyer_id)
            if latest is None:
                raise ProblemError(
                    404,
                    "buyer-not-found",
                    "No personal data of this buyer is held",
                    f"no data key was ever created for buyer {buyer_id}",
                )
            return CommandResult(latest.model_dump(mode="json"), 200)
        orders = sorted({order_id for order_id, _ in sealed})
        for order_id in orders:
            keys = tuple(sorted(k for o, k in sealed if o == order_id))
            await kit.commands.execute(
                connection, order_id, ErasePersonalData(key_ids=keys, at=at), acting
            )
        erasure = Erasure(
            buyer_id=buyer_id,
            erased_at=at,
            erased_by=caller.subject,
            key_ids=key_ids,
            order_ids=orders,
        )
        await connection.execute(
            buyer_erasures.insert().values(
                buyer_id=buyer_id,
                erased_at=at,
                erased_by=caller.subject,
                correlation_id=correlation,
                key_ids=key_ids,
                order_ids=orders,
            )
        )
        custodian.forget(key_ids)
        return CommandResult(erasure.model_dump(mode="json"), 200)

    # Several orders' appends in one transaction: each is made at once, not deferred.
    return await kit.runtime.commands.run(request, key, caller, work, defer_append=False)


@router.get(
    "/v1/buyers/{buyer_id}/erasure",
    summary="The latest erasure of a buyer's personal data (platform and ops)",
    response_model=Erasure,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_erasure(buyer_id: BuyerId, _: ErasureReaders, kit: Kit) -> Erasure:
    """When a buyer's personal data was last erased and what it covered (their data key destroyed,
    so sealed fields in stored events and topics can no longer be opened). Platform and ops only."""
    async with kit.engine.connect() as connection:
        latest = await _latest_erasure(connection, buyer_id)
    if latest is None:
        raise ProblemError(
            404, "erasure-not-found", "The buyer was never erased", f"buyer {buyer_id}"
        )
    return latest


async def _latest_erasure(connection: AsyncConnection, buyer_id: str) -> Erasure | None:
    row = (
        await connection.execute(
            select(buyer_erasures)
            .where(buyer_erasures.c.buyer_id == buyer_id)
            .order_by(buyer_erasures.c.erasure_id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return Erasure(
        buyer_id=row.buyer_id,
        erased_at=row.erased_at,
        erased_by=row.erased_by,
        key_ids=list(row.key_ids),
        order_ids=list(row.order_ids),
    )
