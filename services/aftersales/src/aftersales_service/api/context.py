"""What the aftersales routes share: the typed kit, the role dependencies, the case and complaint
ids in a path, and the answer to a case or complaint the caller may not see."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol, cast

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from aftersales_service.application.commands import AftersalesKit
from aftersales_service.domain.errors import ComplaintNotFound, RefundCaseNotFound
from eventing.http.access import Parties, may_see
from eventing.http.auth import Caller, Role, require_roles
from eventing.http.paths import identifier_path
from eventing.service import StreamOf, kit_of

Check = Callable[[Caller, Parties], None]


# async, as every dependency: FastAPI runs a plain `def` one in its thread pool (issue 19).
async def aftersales_kit(request: Request) -> AftersalesKit:
    return cast(AftersalesKit, kit_of(request))


Kit = Annotated[AftersalesKit, Depends(aftersales_kit)]
Buyer = Annotated[Caller, Depends(require_roles(Role.BUYER))]
PlatformDesk = Annotated[Caller, Depends(require_roles(Role.PLATFORM, Role.OPS))]
CaseId = Annotated[str, identifier_path("The refund case id.")]
ComplaintId = Annotated[str, identifier_path("The complaint id.")]


def case_not_found(case_id: str) -> RefundCaseNotFound:
    """A case that does not exist and one the caller may not see answer alike (404)."""
    return RefundCaseNotFound(f"no refund case {case_id}", case_id=case_id)


def complaint_not_found(complaint_id: str) -> ComplaintNotFound:
    """A complaint that does not exist and one the caller may not see answer alike (404)."""
    return ComplaintNotFound(f"no complaint {complaint_id}", complaint_id=complaint_id)


class IndexedInOrder(Protocol):
    """A case or complaint as its index row gives it: the order whose stream holds it, and whose
    it is."""

    @property
    def order_id(self) -> str: ...

    @property
    def parties(self) -> Parties: ...


def order_stream_of(
    find: Callable[[AsyncConnection, str], Awaitable[IndexedInOrder | None]],
    not_found: Callable[[str], Exception],
    entity_id: str,
    caller: Caller,
    check: Check,
) -> StreamOf:
    """The stream of the order holding `entity_id` (read from its index in the command's
    transaction), once the caller may see it (else `not_found`: 404) and take the step (else
    `check` refuses: 403)."""

    async def stream(connection: AsyncConnection) -> str:
        found = await find(connection, entity_id)
        if found is None or not may_see(caller, found.parties):
            raise not_found(entity_id)
        check(caller, found.parties)
        return found.order_id

    return stream
