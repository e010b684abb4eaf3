"""Finding the case a command names, and the order the after-sales stream belongs to."""

from __future__ import annotations

from aftersales_service.domain import errors
from aftersales_service.domain.state import AftersalesState, RefundCase


def case_of(state: AftersalesState, case_id: str) -> RefundCase:
    case = state.cases.get(case_id)
    if case is None:
        raise errors.RefundCaseNotFound(f"no refund case {case_id}", case_id=case_id)
    return case


def open_case_of(state: AftersalesState, case_id: str) -> RefundCase:
    case = case_of(state, case_id)
    if not case.open:
        raise errors.RefundCaseEnded(
            f"case {case_id} has ended ({case.status.value})", case_status=case.status.value
        )
    return case


def order_of(state: AftersalesState) -> tuple[str, str]:
    """The order id and shop id (known once the stream has its first case)."""
    assert state.order_id is not None
    assert state.shop_id is not None
    return state.order_id, state.shop_id
