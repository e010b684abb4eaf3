"""The after-sales decider of one order (refund cases and complaints): route each command to the
rule that decides it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aftersales_service.domain import answers, complaint_flow, disputes, requests, timeouts
from aftersales_service.domain.commands import (
    AcceptComplaint,
    AddEvidence,
    AmendRefund,
    AnalyseComplaint,
    ApproveRefund,
    Command,
    ConfirmReturnReceived,
    Escalate,
    ExpireAnswerDeadline,
    ExpireAppealWindow,
    ExpireComplaintAcceptance,
    ExpireComplaintFollowUp,
    ExpireComplaintReply,
    ExpireReturnConfirmation,
    ExpireReturnShipment,
    FileComplaint,
    FollowUpComplaint,
    HandleComplaint,
    OpenInterceptCase,
    RecordOrderDelivered,
    RecordOrderShipped,
    RejectRefund,
    RejectReturn,
    ReplyToComplaint,
    RequestRefund,
    Rule,
    RuleOnComplaint,
    SubmitReturnShipment,
    WithdrawRefund,
)
from aftersales_service.domain.state import AftersalesState, evolve
from contracts.events.aftersales import AftersalesStreamEvent
from eventing.decider import Decider

_RULES: dict[type[Any], Callable[[Any, AftersalesState], Sequence[AftersalesStreamEvent]]] = {
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
    FileComplaint: complaint_flow.file_complaint,
    AcceptComplaint: complaint_flow.accept_complaint,
    AnalyseComplaint: complaint_flow.analyse_complaint,
    HandleComplaint: complaint_flow.handle_complaint,
    ReplyToComplaint: complaint_flow.reply_to_complaint,
    FollowUpComplaint: complaint_flow.follow_up_complaint,
    RuleOnComplaint: complaint_flow.rule_on_complaint,
    ExpireComplaintAcceptance: complaint_flow.expire_complaint_acceptance,
    ExpireComplaintReply: complaint_flow.expire_complaint_reply,
    ExpireComplaintFollowUp: complaint_flow.expire_complaint_follow_up,
}


def decide(command: Command, state: AftersalesState) -> Sequence[AftersalesStreamEvent]:
    """The events `command` leads to, or the `DomainError` that refuses it."""
    return _RULES[type(command)](command, state)


aftersales_decider: Decider[Command, AftersalesStreamEvent, AftersalesState] = Decider(
    decide=decide, evolve=evolve, initial_state=AftersalesState()
)
