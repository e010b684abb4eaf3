"""What the aftersales routes share: the typed kit, the role dependencies, the case and complaint
ids in a path, and the answer to a case or complaint the caller may not see."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from aftersales_service.application.commands import AftersalesKit
from aftersales_service.domain.errors import ComplaintNotFound, RefundCaseNotFound
from eventing.http.auth import Caller, Role, require_roles
from eventing.http.paths import identifier_path
from eventing.service import kit_of


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
