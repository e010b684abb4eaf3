"""The after-sales decider of one order: route each command to the rule that decides it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aftersales_service.domain import answers, disputes, requests, timeouts
from aftersales_service.domain.commands import (
    AddEvidence,
    AmendRefund,
    ApproveRefund,
    Command,
    ConfirmReturnReceived,
    Escalate,
    ExpireAnswerDeadline,
    ExpireAppealWindow,
    ExpireReturnConfirmation,
    ExpireReturnShipment,
    OpenInterceptCase,
    RecordOrderDelivered,
    RecordOrderShipped,
    RejectRefund,
    RejectReturn,
    RequestRefund,
    Rule,
    SubmitReturnShipment,
    WithdrawRefund,
)
from aftersales_service.domain.state import AftersalesState, evolve
from contracts.events.aftersales import RefundCaseEvent
from eventing.decider import Decider

_RULES: dict[type[Any], Callable[[Any, AftersalesState], Sequence[RefundCaseEvent]]] = {
    RequestRefund: requests.request_refund,
    AmendRefund: requests.amend_refund,
    WithdrawRefund: requests.withdraw_refund,
    OpenInterceptCase: requests.open_intercept_case,
    ApproveRefund: answers.approve_refund,
    RejectRefund: answers.reject_refund,
    SubmitReturnShipment: answers.submit_return_shipment,
    ConfirmReturnReceived: answers.confirm_return_received,
    RejectReturn: answers.reject_return,
    Escalate: disputes.escalate,
    AddEvidence: disputes.add_evidence,
    Rule: disputes.rule,
    ExpireAnswerDeadline: timeouts.expire_answer_deadline,
    ExpireReturnShipment: timeouts.expire_return_shipment,
    ExpireReturnConfirmation: timeouts.expire_return_confirmation,
    ExpireAppealWindow: timeouts.expire_appeal_window,
    RecordOrderShipped: timeouts.record_order_shipped,
    RecordOrderDelivered: timeouts.record_order_delivered,
}


def decide(command: Command, state: AftersalesState) -> Sequence[RefundCaseEvent]:
    """The events `command` leads to, or the `DomainError` that refuses it."""
    return _RULES[type(command)](command, state)


aftersales_decider: Decider[Command, RefundCaseEvent, AftersalesState] = Decider(
    decide=decide, evolve=evolve, initial_state=AftersalesState()
)
