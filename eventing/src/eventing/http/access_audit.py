"""Every response that shows personal data in full is recorded before it is sent, and the
platform and ops read the records back (`GET /v1/personal-data-access`, in every service).

A read route builds its views as `eventing.http.access` decides (full or masked), then calls
`await audit.record(Shown(order_id, parties, view), ...)` with the `Audit` dependency before it
returns them: for the views the same rule shows in full, one record per order and data subject
(with the personal fields the views actually hold) is appended to the service's access log
(`eventing.access_log`) in one INSERT. If the log cannot be written the caller gets the 503
`database-unavailable` problem, never the data.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from eventing.access_log import AccessFilter, AccessLog, PersonalDataAccess, RecordedAccess
from eventing.http.access import Parties, sees_personal_data
from eventing.http.auth import MAX_SUBJECT_LENGTH, Caller, CurrentCaller, Role, require_roles
from eventing.http.endpoints import correlation_id
from eventing.http.pagination import (
    DEFAULT_LIMIT,
    Page,
    PageCursor,
    PageLimit,
    decode_cursor,
    page_of,
)
from eventing.http.paths import identifier_query
from eventing.http.problems import RETRY_AFTER_SECONDS, ProblemError, problem_responses

_log = logging.getLogger(__name__)

RECEIVER_PARTS = ("name", "phone", "address")
PERSONAL_FIELD_NAMES = (*(f"receiver.{part}" for part in RECEIVER_PARTS), "signed_by")
"""The names a record gives the fields it saw, in this order."""

_LOG_UNAVAILABLE = (SQLAlchemyError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


def personal_fields_in(document: Any) -> tuple[str, ...]:
    """Which personal fields a JSON document holds (a `receiver` object's name, phone and
    address, a `signed_by` text) at any depth, as `PERSONAL_FIELD_NAMES` names them."""
    found: set[str] = set()
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, Mapping):
            receiver = value.get("receiver")
            if isinstance(receiver, Mapping):
                found.update(f"receiver.{p}" for p in RECEIVER_PARTS if receiver.get(p))
            if isinstance(value.get("signed_by"), str):
                found.add("signed_by")
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)
    return tuple(name for name in PERSONAL_FIELD_NAMES if name in found)


@dataclass(frozen=True, slots=True)
class Shown:
    """One order's view in a response: whose it is and what it shows."""

    order_id: str
    parties: Parties
    view: BaseModel | Mapping[str, Any]

    def fields(self) -> tuple[str, ...]:
        document = (
            self.view.model_dump(mode="json") if isinstance(self.view, BaseModel) else self.view
        )
        return personal_fields_in(document)


class AccessAudit:
    """The recording of one request's full views (see the module docstring)."""

    def __init__(self, log: AccessLog, caller: Caller, request: Request) -> None:
        self._log = log
        self._caller = caller
        self._request = request

    def records(self, shown: tuple[Shown, ...]) -> list[PersonalDataAccess]:
        """One record per order and data subject the caller sees in full with personal data
        in it (the fields of all its views in the response together)."""
        caller, request = self._caller, self._request
        seen: dict[tuple[str, str | None], set[str]] = {}
        for view in shown:
            if sees_personal_data(caller, view.parties):
                key = (view.order_id, view.parties.buyer_id)
                seen.setdefault(key, set()).update(view.fields())
        seen = {key: fields for key, fields in seen.items() if fields}
        if not seen:
            return []  # a masked view does not depend on the correlation header either
        route = request.scope.get("route")
        endpoint = f"{request.method} {getattr(route, 'path', request.url.path)}"
        correlation = correlation_id(request)
        return [
            PersonalDataAccess(
                caller_subject=caller.subject,
                caller_role=caller.role.value,
                caller_shop_id=caller.shop_id,
                data_subject=buyer_id,
                order_id=order_id,
                fields=tuple(name for name in PERSONAL_FIELD_NAMES if name in fields),
                endpoint=endpoint,
                correlation_id=correlation,
                service=self._log.service,
            )
            for (order_id, buyer_id), fields in seen.items()
        ]

    async def record(self, *shown: Shown) -> None:
        """Append the records of `shown`; 503 (and no data) when the log cannot be written."""
        records = self.records(shown)
        try:
            await self._log.append(records)
        except _LOG_UNAVAILABLE as error:
            _log.warning("personal data access not recorded: %s", type(error).__name__)
            raise ProblemError(
                503,
                "database-unavailable",
                "The database is unavailable",
                "the access to personal data could not be recorded, so it is not shown; "
                "retry after Retry-After seconds",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                retryable=True,
            ) from error


def access_log_of(request: Request) -> AccessLog:
    """The access log of the service serving `request` (set by `ServiceRuntime.app`)."""
    log: AccessLog = request.app.state.access_log
    return log


async def access_audit(request: Request, caller: CurrentCaller) -> AccessAudit:
    """FastAPI dependency: the recording of this request's full views."""
    return AccessAudit(access_log_of(request), caller, request)


Audit = Annotated[AccessAudit, Depends(access_audit)]
Auditor = Annotated[Caller, Depends(require_roles(Role.PLATFORM, Role.OPS))]


class PersonalDataAccessView(BaseModel):
    """One response that showed a buyer's personal data in full."""

    id: int = Field(description="The record's id in this service (newer records, higher ids).")
    at: datetime = Field(description="When the data was read (the database server's time).")
    service: str = Field(description="The service that answered.")
    caller_subject: str = Field(description="Who read it: the token's subject.")
    caller_role: Role = Field(description="The caller's role.")
    caller_shop_id: str | None = Field(description="The seller's shop, for a seller.")
    data_subject: str | None = Field(
        description="Whose data it is: the buyer (null while the service did not know them)."
    )
    order_id: str = Field(description="The order whose data was shown.")
    fields: list[str] = Field(
        description="The fields shown in full: receiver.name, receiver.phone, receiver.address, "
        "signed_by (only those the response held).",
        examples=[list(PERSONAL_FIELD_NAMES)],
    )
    endpoint: str = Field(
        description="The method and route, e.g. `GET /v1/orders/{order_id}`.",
        examples=["GET /v1/orders/{order_id}"],
    )
    correlation_id: str = Field(
        description="The request's X-Correlation-Id (a new id when it sent none)."
    )

    @classmethod
    def of(cls, recorded: RecordedAccess) -> PersonalDataAccessView:
        return cls.model_validate(recorded.document())


router = APIRouter(prefix="/v1", tags=["personal data access"])


@router.get(
    "/personal-data-access",
    summary="Who saw which buyer's personal data in full, newest first (platform and ops)",
    response_model=Page[PersonalDataAccessView],
    responses=problem_responses(400, 401, 403),
)
async def list_personal_data_access(
    _: Auditor,
    request: Request,
    buyer_id: Annotated[str | None, identifier_query("Only this buyer's data.")] = None,
    order_id: Annotated[str | None, identifier_query("Only this order's data.")] = None,
    caller: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_SUBJECT_LENGTH,
            description="Only what this caller (token subject) saw.",
        ),
    ] = None,
    cursor: PageCursor = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> Page[PersonalDataAccessView]:
    """Every record of this service's access log (`eventing.personal_data_access`), filtered;
    `orderctl audit` merges the three services'."""
    before = int(decode_cursor(cursor, required={"id": int})["id"]) if cursor else None
    where = AccessFilter(buyer_id=buyer_id, order_id=order_id, caller=caller, before_id=before)
    rows = await access_log_of(request).read(where, limit + 1)
    return page_of(rows, limit, PersonalDataAccessView.of, lambda row: {"id": row.id})
