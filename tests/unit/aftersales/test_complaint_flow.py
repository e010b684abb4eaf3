"""The complaint flow, given/when/then: filing, each step of the shop, the buyer's follow-up,
the platform's ruling, every time-out, and the refusals out of turn or out of time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales_service.application.deadlines import (
    CancelDeadline,
    DeadlineKind,
    ScheduleDeadline,
    deadline_changes,
)
from aftersales_service.domain import errors
from aftersales_service.domain.commands import (
    AcceptComplaint,
    AnalyseComplaint,
    ExpireComplaintAcceptance,
    ExpireComplaintFollowUp,
    ExpireComplaintReply,
    FileComplaint,
    FollowUpComplaint,
    HandleComplaint,
    ReplyToComplaint,
    RuleOnComplaint,
)
from aftersales_service.domain.complaints import ComplaintStatus
from aftersales_service.domain.decide import aftersales_decider
from contracts.events.aftersales import (
    ComplaintAbout,
    ComplaintAccepted,
    ComplaintAnalysed,
    ComplaintCategory,
    ComplaintClosed,
    ComplaintCloseReason,
    ComplaintEscalated,
    ComplaintEscalationReason,
    ComplaintFiled,
    ComplaintFiler,
    ComplaintFollowedUp,
    ComplaintHandled,
    ComplaintRemedy,
    ComplaintRemedyKind,
    ComplaintReplied,
    ComplaintResponsibility,
    ComplaintRuled,
    ComplaintRulingOutcome,
)
from contracts.values import Money
from eventing.decider import DomainError
from tests.unit.aftersales.aftersales_scenarios import (
    BUYER_ID,
    CASE_ID,
    FACTS,
    ORDER_ID,
    PAID,
    POLICY,
    SHOP_ID,
    T0,
    WAYBILL,
    cny,
    requested,
    spec,
)

CP = "cp-1"
IDS: dict[str, Any] = {"order_id": ORDER_ID, "shop_id": SHOP_ID, "complaint_id": CP}
ACCEPT_DUE = T0 + timedelta(hours=24)
ACCEPTED_AT = T0 + timedelta(hours=2)
REPLY_DUE = ACCEPTED_AT + timedelta(days=3)
REPLIED_AT = T0 + timedelta(hours=10)
FOLLOW_UP_DUE = REPLIED_AT + timedelta(days=7)
LATER = T0 + timedelta(hours=12)


def file(
    buyer_id: str | None = BUYER_ID,
    about: ComplaintAbout = ComplaintAbout.ORDER,
    category: ComplaintCategory = ComplaintCategory.GOODS,
    complaint_id: str = CP,
    facts: Any = FACTS,
) -> FileComplaint:
    return FileComplaint(
        complaint_id, buyer_id, about, category, "tea arrived damp", ("https://f.example/1.jpg",),
        facts, POLICY, T0,
    )  # fmt: skip


def filed(complaint_id: str = CP, category: ComplaintCategory = ComplaintCategory.GOODS) -> Any:
    return ComplaintFiled(
        **{**IDS, "complaint_id": complaint_id}, buyer_id=BUYER_ID,
        filed_by=ComplaintFiler.BUYER, about=ComplaintAbout.ORDER, category=category,
        text="tea arrived damp", attachments=("https://f.example/1.jpg",), filed_at=T0,
        accept_due_by=ACCEPT_DUE,
    )  # fmt: skip


def accepted() -> ComplaintAccepted:
    return ComplaintAccepted(**IDS, note="checking", reply_due_by=REPLY_DUE)


def analysed() -> ComplaintAnalysed:
    return ComplaintAnalysed(
        **IDS, responsibility=ComplaintResponsibility.SELLER, finding="no moisture barrier"
    )


def refund_remedy(case_id: str = CASE_ID) -> ComplaintRemedy:
    return ComplaintRemedy(kind=ComplaintRemedyKind.REFUND, refund_case_id=case_id)


def handled() -> ComplaintHandled:
    return ComplaintHandled(**IDS, remedy=refund_remedy())


def replied() -> ComplaintReplied:
    return ComplaintReplied(
        **IDS, reply="refunded, sorry", replied_at=REPLIED_AT, follow_up_by=FOLLOW_UP_DUE
    )


def escalated(reason: ComplaintEscalationReason, at: datetime) -> ComplaintEscalated:
    return ComplaintEscalated(**IDS, reason=reason, escalated_at=at)


FILED = (requested(), filed())
ACCEPTED = (*FILED, accepted())
ANALYSED = (*ACCEPTED, analysed())
HANDLED = (*ANALYSED, handled())
REPLIED = (*HANDLED, replied())
NOT_ACCEPTED = (*FILED, escalated(ComplaintEscalationReason.NOT_ACCEPTED_IN_TIME, ACCEPT_DUE))


def rule(
    outcome: ComplaintRulingOutcome = ComplaintRulingOutcome.UPHELD,
    compensation: Money | None = None,
) -> RuleOnComplaint:
    return RuleOnComplaint(
        CP, outcome, ComplaintResponsibility.SELLER, "seller packed it badly", compensation,
        FACTS, LATER,
    )  # fmt: skip


# --- filing -------------------------------------------------------------------------------


def test_the_buyer_files_a_complaint_that_the_shop_must_accept_within_the_policy_window() -> None:
    spec().given(requested()).when(file()).then(filed())


def test_customer_service_files_for_the_orders_buyer() -> None:
    spec().when(file(buyer_id=None)).then(
        filed().model_copy(update={"filed_by": ComplaintFiler.CUSTOMER_SERVICE})
    )


def test_a_complaint_about_the_shop_is_filed_through_the_order() -> None:
    command = file(about=ComplaintAbout.SHOP, category=ComplaintCategory.SERVICE_ATTITUDE)
    [event] = spec().when(command).decided()
    assert (event.about, event.category, event.order_id) == (
        ComplaintAbout.SHOP, ComplaintCategory.SERVICE_ATTITUDE, ORDER_ID,
    )  # fmt: skip


FILING_REFUSED = [
    ("another buyer", (), file(buyer_id="buyer-2"), errors.NotTheOrdersBuyerToComplain),
    ("order not known yet", (), file(facts=None), errors.OrderPaymentNotYetKnown),
    ("order not paid yet", (), file(facts=replace(FACTS, paid=None)),
     errors.OrderPaymentNotYetKnown),
    ("order closed unpaid", (), file(facts=replace(FACTS, paid=None, closed=True)),
     errors.OrderNeverPaid),
    ("same id twice", FILED, file(category=ComplaintCategory.OTHER),
     errors.ComplaintAlreadyExists),
    ("same thing still open", FILED, file(complaint_id="cp-2"), errors.ComplaintAlreadyOpen),
]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "command", "error"), [pytest.param(h, c, e, id=n) for n, h, c, e in FILING_REFUSED]
)
def test_filing_is_refused(history: tuple[Any, ...], command: Any, error: type[Exception]) -> None:
    spec().given(*history).when(command).then_raises(error)


def test_a_closed_complaint_does_not_stop_a_new_one_about_the_same_thing() -> None:
    closed = ComplaintClosed(**IDS, reason=ComplaintCloseReason.BUYER_SATISFIED, closed_at=LATER)
    [event] = spec().given(*FILED, closed).when(file(complaint_id="cp-2")).decided()
    assert event.complaint_id == "cp-2"


# --- the shop's steps ---------------------------------------------------------------------

ACCEPT = AcceptComplaint(CP, POLICY, ACCEPTED_AT, "checking")
ANALYSE = AnalyseComplaint(CP, ComplaintResponsibility.SELLER, "no moisture barrier", LATER)
HANDLE = HandleComplaint(CP, refund_remedy(), FACTS, LATER)
REPLY = ReplyToComplaint(CP, "refunded, sorry", POLICY, REPLIED_AT)

STEPS = [
    ("accept starts the reply deadline", FILED, ACCEPT, accepted()),
    ("analysis records responsibility", ACCEPTED, ANALYSE, analysed()),
    ("handling links the refund case", ANALYSED, HANDLE, handled()),
    ("the reply starts the follow-up window", HANDLED, REPLY, replied()),
    ("a satisfied buyer closes it", REPLIED, FollowUpComplaint(CP, True, LATER, "thanks"),
     [ComplaintFollowedUp(**IDS, satisfied=True, comment="thanks"),
      ComplaintClosed(**IDS, reason=ComplaintCloseReason.BUYER_SATISFIED, closed_at=LATER)]),
    ("an unsatisfied buyer escalates it", REPLIED, FollowUpComplaint(CP, False, LATER),
     [ComplaintFollowedUp(**IDS, satisfied=False),
      escalated(ComplaintEscalationReason.BUYER_UNSATISFIED, LATER)]),
    ("the platform upholds it against the seller", NOT_ACCEPTED, rule(compensation=cny(500)),
     ComplaintRuled(**IDS, outcome=ComplaintRulingOutcome.UPHELD,
                    responsibility=ComplaintResponsibility.SELLER,
                    note="seller packed it badly", compensation=cny(500), ruled_at=LATER)),
    ("the platform dismisses it", NOT_ACCEPTED, rule(ComplaintRulingOutcome.DISMISSED),
     ComplaintRuled(**IDS, outcome=ComplaintRulingOutcome.DISMISSED,
                    responsibility=ComplaintResponsibility.SELLER,
                    note="seller packed it badly", ruled_at=LATER)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "command", "expected"), [pytest.param(h, c, e, id=n) for n, h, c, e in STEPS]
)
def test_each_step_of_the_flow(history: tuple[Any, ...], command: Any, expected: Any) -> None:
    events = expected if isinstance(expected, list) else [expected]
    spec().given(*history).when(command).then(*events)


def status_after(*events: Any) -> ComplaintStatus:
    return aftersales_decider.fold(list(events)).complaints[CP].status


def test_each_step_moves_the_complaint_to_the_platforms_next_state() -> None:
    histories = (FILED, ACCEPTED, ANALYSED, HANDLED, REPLIED)
    assert [status_after(*history) for history in histories] == [
        ComplaintStatus.WAIT_SELLER_ACCEPT, ComplaintStatus.WAIT_SELLER_ANALYSE,
        ComplaintStatus.WAIT_SELLER_HANDLE, ComplaintStatus.WAIT_SELLER_REPLY,
        ComplaintStatus.WAIT_BUYER_FOLLOW_UP,
    ]  # fmt: skip
    assert status_after(*NOT_ACCEPTED) is ComplaintStatus.PLATFORM_INTERVENED


@pytest.mark.parametrize(
    "remedy",
    [
        ComplaintRemedy(kind=ComplaintRemedyKind.RESHIPMENT, waybill=WAYBILL),
        ComplaintRemedy(kind=ComplaintRemedyKind.APOLOGY, note="we are sorry"),
        ComplaintRemedy(kind=ComplaintRemedyKind.COMPENSATION, compensation=cny(PAID)),
    ],
    ids=["reshipment", "apology", "compensation up to what was paid"],
)
def test_every_kind_of_remedy_is_linked(remedy: ComplaintRemedy) -> None:
    command = HandleComplaint(CP, remedy, FACTS, LATER)
    spec().given(*ANALYSED).when(command).then(ComplaintHandled(**IDS, remedy=remedy))


REMEDY_REFUSED = [
    ("refund without its case", ComplaintRemedy(kind=ComplaintRemedyKind.REFUND),
     errors.ComplaintRemedyInvalid),
    ("refund of another order's case", refund_remedy("rc-elsewhere"),
     errors.ComplaintRemedyCaseUnknown),
    ("reshipment without a waybill", ComplaintRemedy(kind=ComplaintRemedyKind.RESHIPMENT),
     errors.ComplaintRemedyInvalid),
    ("apology without words", ComplaintRemedy(kind=ComplaintRemedyKind.APOLOGY),
     errors.ComplaintRemedyInvalid),
    ("apology with an amount", ComplaintRemedy(kind=ComplaintRemedyKind.APOLOGY, note="sorry",
                                               compensation=cny(100)),
     errors.ComplaintRemedyInvalid),
    ("compensation of nothing", ComplaintRemedy(kind=ComplaintRemedyKind.COMPENSATION,
                                                compensation=cny(0)),
     errors.ComplaintCompensationInvalid),
    ("compensation above what was paid",
     ComplaintRemedy(kind=ComplaintRemedyKind.COMPENSATION, compensation=cny(PAID + 1)),
     errors.ComplaintCompensationInvalid),
    ("compensation in another currency",
     ComplaintRemedy(kind=ComplaintRemedyKind.COMPENSATION,
                     compensation=Money(amount=100, currency="USD")),
     errors.ComplaintCompensationInvalid),
]  # fmt: skip


@pytest.mark.parametrize(
    ("remedy", "error"), [pytest.param(r, e, id=n) for n, r, e in REMEDY_REFUSED]
)
def test_a_remedy_that_does_not_fit_is_refused(
    remedy: ComplaintRemedy, error: type[Exception]
) -> None:
    spec().given(*ANALYSED).when(HandleComplaint(CP, remedy, FACTS, LATER)).then_raises(error)


AFTER_REPLY_DUE = REPLY_DUE + timedelta(seconds=1)
OUT_OF_TURN = [
    ("unknown complaint", (requested(),), ACCEPT, errors.ComplaintNotFound),
    ("accept twice", ACCEPTED, ACCEPT, errors.ComplaintNotAtThisStep),
    ("analyse before accepting", FILED, ANALYSE, errors.ComplaintNotAtThisStep),
    ("handle before analysing", ACCEPTED, HANDLE, errors.ComplaintNotAtThisStep),
    ("reply before handling", ANALYSED, REPLY, errors.ComplaintNotAtThisStep),
    ("follow up before the reply", HANDLED, FollowUpComplaint(CP, True, LATER),
     errors.ComplaintNotAtThisStep),
    ("rule before escalation", REPLIED, rule(), errors.ComplaintNotAtThisStep),
    ("accept after the deadline", FILED, replace(ACCEPT, at=ACCEPT_DUE + timedelta(seconds=1)),
     errors.ComplaintDeadlinePassed),
    ("analyse after the reply deadline", ACCEPTED, replace(ANALYSE, at=AFTER_REPLY_DUE),
     errors.ComplaintDeadlinePassed),
    ("handle after the reply deadline", ANALYSED, replace(HANDLE, at=AFTER_REPLY_DUE),
     errors.ComplaintDeadlinePassed),
    ("reply after the reply deadline", HANDLED, replace(REPLY, at=AFTER_REPLY_DUE),
     errors.ComplaintDeadlinePassed),
    ("follow up after the window", REPLIED,
     FollowUpComplaint(CP, True, FOLLOW_UP_DUE + timedelta(seconds=1)),
     errors.ComplaintDeadlinePassed),
    ("a dismissal that awards money", NOT_ACCEPTED,
     rule(ComplaintRulingOutcome.DISMISSED, cny(100)), errors.ComplaintCompensationInvalid),
    ("an award above what was paid", NOT_ACCEPTED, rule(compensation=cny(PAID + 1)),
     errors.ComplaintCompensationInvalid),
]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "command", "error"), [pytest.param(h, c, e, id=n) for n, h, c, e in OUT_OF_TURN]
)
def test_steps_are_refused_out_of_turn_or_out_of_time(
    history: tuple[Any, ...], command: Any, error: type[DomainError]
) -> None:
    spec().given(*history).when(command).then_raises(error)


# --- time-outs ----------------------------------------------------------------------------

TIMEOUTS = [
    ("not accepted in time escalates", FILED, ExpireComplaintAcceptance(CP, ACCEPT_DUE),
     [escalated(ComplaintEscalationReason.NOT_ACCEPTED_IN_TIME, ACCEPT_DUE)]),
    ("accepted but not analysed in time escalates", ACCEPTED,
     ExpireComplaintReply(CP, REPLY_DUE),
     [escalated(ComplaintEscalationReason.NOT_HANDLED_IN_TIME, REPLY_DUE)]),
    ("analysed but not handled in time escalates", ANALYSED, ExpireComplaintReply(CP, REPLY_DUE),
     [escalated(ComplaintEscalationReason.NOT_HANDLED_IN_TIME, REPLY_DUE)]),
    ("handled but not replied in time escalates", HANDLED, ExpireComplaintReply(CP, REPLY_DUE),
     [escalated(ComplaintEscalationReason.NOT_HANDLED_IN_TIME, REPLY_DUE)]),
    ("a silent buyer's complaint closes as resolved", REPLIED,
     ExpireComplaintFollowUp(CP, FOLLOW_UP_DUE),
     [ComplaintClosed(**IDS, reason=ComplaintCloseReason.FOLLOW_UP_WINDOW_EXPIRED,
                      closed_at=FOLLOW_UP_DUE)]),
    # A deadline that no longer applies (fired early, late, or twice) decides nothing.
    ("accept deadline before it is due", FILED,
     ExpireComplaintAcceptance(CP, ACCEPT_DUE - timedelta(seconds=1)), []),
    ("accept deadline after acceptance", ACCEPTED, ExpireComplaintAcceptance(CP, ACCEPT_DUE), []),
    ("reply deadline before it is due", HANDLED,
     ExpireComplaintReply(CP, REPLY_DUE - timedelta(seconds=1)), []),
    ("reply deadline after the reply", REPLIED, ExpireComplaintReply(CP, REPLY_DUE), []),
    ("follow-up deadline before it is due", REPLIED,
     ExpireComplaintFollowUp(CP, FOLLOW_UP_DUE - timedelta(seconds=1)), []),
    ("accept deadline twice", NOT_ACCEPTED, ExpireComplaintAcceptance(CP, ACCEPT_DUE), []),
    ("deadline of an unknown complaint", (requested(),), ExpireComplaintReply(CP, REPLY_DUE), []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "command", "expected"), [pytest.param(h, c, e, id=n) for n, h, c, e in TIMEOUTS]
)
def test_every_time_out(history: tuple[Any, ...], command: Any, expected: list[Any]) -> None:
    spec().given(*history).when(command).then(*expected)


def test_each_step_schedules_the_one_deadline_the_complaint_waits_on() -> None:
    complaint_kinds = [kind for kind in DeadlineKind if kind.of_complaint]
    assert deadline_changes([filed()]) == [
        ScheduleDeadline(DeadlineKind.COMPLAINT_ACCEPT, CP, ACCEPT_DUE)
    ]
    assert deadline_changes([accepted()]) == [
        CancelDeadline(DeadlineKind.COMPLAINT_ACCEPT, CP),
        ScheduleDeadline(DeadlineKind.COMPLAINT_REPLY, CP, REPLY_DUE),
    ]
    assert deadline_changes([analysed(), handled()]) == []
    assert deadline_changes([replied()]) == [
        CancelDeadline(DeadlineKind.COMPLAINT_REPLY, CP),
        ScheduleDeadline(DeadlineKind.COMPLAINT_FOLLOW_UP, CP, FOLLOW_UP_DUE),
    ]
    ended = escalated(ComplaintEscalationReason.BUYER_UNSATISFIED, LATER)
    assert deadline_changes([ended]) == [CancelDeadline(k, CP) for k in complaint_kinds]


# --- invariant ------------------------------------------------------------------------------

PENDING: list[Any] = [
    ACCEPT, ANALYSE, HANDLE, REPLY, FollowUpComplaint(CP, True, LATER),
    FollowUpComplaint(CP, False, LATER), rule(), rule(ComplaintRulingOutcome.DISMISSED),
    ExpireComplaintAcceptance(CP, ACCEPT_DUE), ExpireComplaintReply(CP, REPLY_DUE),
    ExpireComplaintFollowUp(CP, FOLLOW_UP_DUE),
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PENDING), max_size=12))
def test_no_command_moves_a_closed_complaint_and_it_ends_once(commands: list[Any]) -> None:
    """Whatever is asked in whatever order, a complaint that reached CLOSED stays there, decides
    nothing more, and has exactly one terminal event."""
    history: list[Any] = list(FILED)
    ended = 0
    for command in commands:
        state = aftersales_decider.fold(history)
        was_closed = state.complaints[CP].status is ComplaintStatus.CLOSED
        try:
            decided = list(aftersales_decider.decide(command, state))
        except DomainError:
            continue
        assert not (was_closed and decided), f"{command!r} moved a closed complaint"
        ended += sum(isinstance(e, ComplaintRuled | ComplaintClosed) for e in decided)
        history.extend(decided)
    final = aftersales_decider.fold(history).complaints[CP]
    assert ended == (1 if final.status is ComplaintStatus.CLOSED else 0)
