"""Per-shop policies: the time limits and rules a shop may set, with service-wide defaults.

Every time-based rule of the business is a per-shop policy default, never a constant. A service
describes its policy as a `ShopPolicyModel` (durations as `timedelta`, ISO 8601 on the wire,
e.g. `PT24H`) whose `domain()` is the value its pure rules take, gives the defaults from its
settings, and gets a store (`ShopPolicies`) and the `GET/PUT /v1/shops/{shop_id}/policy`
endpoints (`shop_policy_router`). A stored policy is one JSON document per shop; fields added
to the model later take their defaults. Every duration is a `PolicyDuration` field, bounded
the same way for the same kind of limit in every service, so no deadline can overflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from eventing.aggregate import VersionMismatch
from eventing.database import RawStatement
from eventing.http.auth import Caller, CurrentCaller, Role, require_roles
from eventing.http.commands import CommandResult, IdempotencyKey, IfMatch, etag
from eventing.http.paths import ShopId
from eventing.http.problems import ProblemError, problem_responses
from eventing.schema import shop_policies

if TYPE_CHECKING:
    from eventing.runtime import ServiceRuntime

log = structlog.get_logger(__name__)
D = TypeVar("D")
P = TypeVar("P", bound=BaseModel)


_DURATION = TypeAdapter(timedelta)


@dataclass(frozen=True, slots=True)
class PolicyDuration:
    """The bounds of one kind of policy duration (both inclusive)."""

    minimum: timedelta
    maximum: timedelta

    def field(self, description: str, *, example: str, default: Any = ...) -> Any:
        """A policy field of this kind: ISO 8601 on the wire, the bounds in its JSON Schema
        (with a `default` for a field added after shops stored their policies)."""
        low, high = (
            _DURATION.dump_python(bound, mode="json") for bound in (self.minimum, self.maximum)
        )
        return Field(
            default,
            ge=self.minimum,
            le=self.maximum,
            description=f"{description} From {low} to {high}.",
            examples=[example],
            json_schema_extra={"x-minimum": low, "x-maximum": high},
        )


TIME_TO_ACT = PolicyDuration(timedelta(minutes=1), timedelta(days=90))
"""The time a party has to do something (pay, ship, answer, return, confirm, appeal)."""

REMINDER_LEAD = PolicyDuration(timedelta(minutes=1), timedelta(days=30))
"""How long before a deadline a reminder goes out."""


class ShopPolicyModel(BaseModel, Generic[D]):
    """A service's shop policy as stored and shown; `domain()` is what its rules take."""

    def domain(self) -> D:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class StoredPolicy(Generic[P]):
    """A shop's policy and its version (0: the shop never set one and uses the defaults)."""

    policy: P
    version: int
    updated_at: datetime | None = None
    updated_by: str | None = None


# Every command reads its shop's policy: on the driver connection (`RawStatement`).
_POLICY = RawStatement(
    "SELECT policy, version, updated_at, updated_by FROM eventing.shop_policies WHERE shop_id = $1"
)


class ShopPolicies(Generic[D]):
    """Reads and writes one service's shop policies inside the caller's transaction."""

    def __init__(self, defaults: ShopPolicyModel[D]) -> None:
        self.defaults = defaults
        self.model: type[ShopPolicyModel[D]] = type(defaults)

    async def domain_for(self, connection: AsyncConnection, shop_id: str | None) -> D:
        """The policy the rules apply to `shop_id` (the defaults for no shop)."""
        if shop_id is None:
            return self.defaults.domain()
        return (await self.get(connection, shop_id)).policy.domain()

    async def get(
        self, connection: AsyncConnection, shop_id: str
    ) -> StoredPolicy[ShopPolicyModel[D]]:
        row = await _POLICY.fetchrow(connection, shop_id)
        if row is None:
            return StoredPolicy(self.defaults, 0)
        policy = self._stored_or_defaults(shop_id, row["policy"])
        return StoredPolicy(policy, int(row["version"]), row["updated_at"], row["updated_by"])

    def _stored_or_defaults(self, shop_id: str, stored: dict[str, Any]) -> ShopPolicyModel[D]:
        """The stored policy over the defaults; a stored field that today's bounds refuse
        (stored before they were tightened) gives way to its default, and is logged, so a shop
        never stops working because of a value it can no longer set."""
        defaults = self.defaults.model_dump(mode="json")
        try:
            return self.model.model_validate({**defaults, **stored})
        except ValidationError as refused:
            invalid = {str(error["loc"][0]) for error in refused.errors() if error["loc"]}
            log.warning("shop_policy.stored_field_refused", shop_id=shop_id, fields=sorted(invalid))
            kept = {name: value for name, value in stored.items() if name not in invalid}
            return self.model.model_validate({**defaults, **kept})

    async def put(
        self,
        connection: AsyncConnection,
        shop_id: str,
        policy: ShopPolicyModel[D],
        *,
        at: datetime,
        by: str,
    ) -> int:
        """Store the shop's whole policy; the new version."""
        values = {"policy": policy.model_dump(mode="json"), "updated_at": at, "updated_by": by}
        statement = insert(shop_policies).values(shop_id=shop_id, version=1, **values)
        upsert = statement.on_conflict_do_update(
            index_elements=["shop_id"], set_={**values, "version": shop_policies.c.version + 1}
        ).returning(shop_policies.c.version)
        return int((await connection.execute(upsert)).scalar_one())


class ShopPolicyView(BaseModel, Generic[P]):
    """A shop's policy as the API shows it."""

    shop_id: str = Field(description="The shop.")
    policy: P = Field(description="The policy in force.")
    version: int = Field(description="0 while the shop uses the service defaults.")
    is_default: bool = Field(description="True while the shop never set its own policy.")
    updated_at: datetime | None = Field(description="When the shop's policy was last set.")
    updated_by: str | None = Field(description="Who set it (role:subject).")


def shop_policy_router(
    runtime: ServiceRuntime, policies: ShopPolicies[D], *, what: str, tag: str = "shop policy"
) -> APIRouter:
    """`GET/PUT /v1/shops/{shop_id}/policy`: anyone signed in reads; the shop's seller or the
    platform writes (Idempotency-Key, If-Match with the policy version). `what` names the
    policy in the summaries, e.g. "ship-by time limits"."""
    router = APIRouter(prefix="/v1/shops/{shop_id}/policy", tags=[tag])
    view_model = ShopPolicyView[policies.model]  # type: ignore[name-defined]

    def view(shop_id: str, stored: StoredPolicy[ShopPolicyModel[D]]) -> Any:
        return view_model(
            shop_id=shop_id,
            policy=stored.policy,
            version=stored.version,
            is_default=stored.version == 0,
            updated_at=stored.updated_at,
            updated_by=stored.updated_by,
        )

    @router.get(
        "",
        summary=f"The shop's {what} (the service defaults until the shop sets its own)",
        response_model=view_model,
        responses=problem_responses(401),
    )
    async def get_policy(shop_id: ShopId, _: CurrentCaller) -> JSONResponse:
        """The policy in force for the shop, `is_default` while the shop has set none; its
        ETag is the policy's version, to send as If-Match with a change. Anyone signed in."""
        async with runtime.engine.connect() as connection:
            stored = await policies.get(connection, shop_id)
        body = view(shop_id, stored).model_dump(mode="json")
        return JSONResponse(body, headers={"ETag": etag(stored.version)})

    async def put_policy(
        caller: Annotated[Caller, Depends(require_roles(Role.SELLER, Role.PLATFORM))],
        shop_id: ShopId,
        body: BaseModel,
        request: Request,
        key: IdempotencyKey,
        expected: IfMatch,
    ) -> JSONResponse:
        """Replace the shop's policy (the shop's seller or the platform); it applies to
        deadlines set from now on. If-Match with the policy's ETag refuses a stale change."""
        if caller.role is Role.SELLER and caller.shop_id != shop_id:
            raise ProblemError(403, "forbidden", "Forbidden", f"you do not work for {shop_id}")

        async def work(connection: AsyncConnection) -> CommandResult:
            current = await policies.get(connection, shop_id)
            if expected is not None and expected != current.version:
                raise VersionMismatch(f"policy of {shop_id}", expected, current.version)
            policy = policies.model.model_validate(body.model_dump())
            at, by = runtime.clock.now(), f"{caller.role.value}:{caller.subject}"
            version = await policies.put(connection, shop_id, policy, at=at, by=by)
            stored = StoredPolicy(policy, version, at, by)
            return CommandResult(view(shop_id, stored), 200, version)

        return await runtime.commands.run(request, key, caller, work)

    # The body's model is the service's own policy class, known only at run time.
    put_policy.__annotations__["body"] = policies.model
    router.put(
        "",
        summary=f"Set the shop's {what} (its seller or the platform); applies from now on",
        response_model=view_model,
        responses=problem_responses(400, 401, 403, 412, 422),
    )(put_policy)
    return router
