"""Customer care around an order (issue 21): the reminder to pay, the seller's answer to a
rating, the follow-up a medium or bad rating opens, and the buyer's follow-up comment."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.base import OrderEvent
from contracts.events.order import (
    BalanceReminderDue,
    CancellationReason,
    OrderRated,
    PaymentReminderDue,
    PaymentStage,
    RatingAnswered,
    RatingAppended,
    RatingFollowUpOpened,
)
from contracts.values import Money
from eventing.deadlines import Deadline, DeadlineScheduler
from eventing.decider import DomainError
from eventing.handler import Given
from order_service.application import deadlines
from order_service.application.deadlines import BALANCE_REMINDER, PAYMENT_REMINDER
from order_service.application.shop_policy import default_policy
from order_service.domain import errors, order_decider
from order_service.domain.commands import (
    AnswerRating,
    AppendToRating,
    CancelOrder,
    CloseUnpaidOrder,
    ConfirmReceipt,
    OrderCommand,
    RemindToPay,
)
from order_service.domain.decide import decide
from order_service.domain.policy import RatingPolicy, ShopPolicy, reminder_time
from order_service.settings import OrderSettings

from .order_scenarios import (
    ORDER_ID,
    PAYABLE,
    PAYMENT_WINDOW,
    RATED_AT,
    RATING_POLICY,
    SHOP_ID,
    T0,
    history,
    pay,
    place_order,
    presale_order,
    rate,
    ship,
    spec,
)

IDS = {"order_id": ORDER_ID, "shop_id": SHOP_ID}
DUE = T0 + PAYMENT_WINDOW
PLACED = history(place_order())
DEPOSIT_DUE = T0 + PAYMENT_WINDOW
COMPLETED = history(place_order(), pay(), ship(), ConfirmReceipt(at=T0 + timedelta(days=2)))
ANSWER_DUE = RATED_AT + RATING_POLICY.answer_window
APPEND_DUE = RATED_AT + RATING_POLICY.append_window
POLICY = default_policy(OrderSettings(database_url="postgresql://unused@localhost/u")).domain()


def cny(amount: int) -> Money:
    return Money(amount=amount, currency="CNY")


def remind(
    at: datetime = DUE - timedelta(hours=24), stage: PaymentStage = PaymentStage.FULL
) -> RemindToPay:
    return RemindToPay(at=at, stage=stage)


# --- when to remind -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "remind_after"),
    [
        (timedelta(hours=72), timedelta(hours=48)),  # the default: 24 h before it closes
        (timedelta(hours=48), timedelta(hours=24)),  # two leads: both rules agree
        (timedelta(hours=47), timedelta(hours=23, minutes=30)),  # shorter: half-way
        (timedelta(minutes=30), timedelta(minutes=15)),  # a promotional window
        (timedelta(days=10), timedelta(days=9)),
    ],
)
def test_a_reminder_goes_out_a_lead_before_the_deadline_or_half_way_through_a_short_window(
    window: timedelta, remind_after: timedelta
) -> None:
    assert reminder_time(T0, T0 + window, timedelta(hours=24)) == T0 + remind_after


# --- the reminder to pay, decided ------------------------------------------------------------


def test_the_buyer_of_an_unpaid_order_is_reminded_to_pay_once() -> None:
    reminded = (
        spec()
        .given(*PLACED)
        .when(remind())
        .then(
            PaymentReminderDue(
                **IDS, stage=PaymentStage.FULL, amount=cny(PAYABLE), payment_due_by=DUE
            )
        )
    )
    spec().given(*PLACED, *reminded).when(remind()).then_raises(errors.PaymentReminderAlreadySent)


def test_the_buyer_of_a_presale_order_is_reminded_to_pay_the_deposit() -> None:
    placed = history(presale_order())
    spec().given(*placed).when(remind(stage=PaymentStage.DEPOSIT)).then(
        PaymentReminderDue(
            **IDS, stage=PaymentStage.DEPOSIT, amount=cny(5000), payment_due_by=DEPOSIT_DUE
        )
    )


def test_the_buyer_who_was_reminded_of_the_deposit_is_reminded_of_the_balance_too() -> None:
    deposited = history(
        presale_order(),
        remind(stage=PaymentStage.DEPOSIT),
        pay(stage=PaymentStage.DEPOSIT, amount=5000),
    )
    balance_due = T0 + timedelta(days=12)
    at = balance_due - timedelta(hours=24)
    spec().given(*deposited).when(remind(at, PaymentStage.BALANCE)).then(
        BalanceReminderDue(**IDS, balance=cny(PAYABLE - 5000), balance_due_by=balance_due)
    )


def test_a_reminder_to_pay_is_refused_when_there_is_nothing_left_to_pay_for() -> None:
    paid = history(place_order(), pay())
    cancelled = history(place_order(), CancelOrder(reason=CancellationReason.OTHER))
    closed = history(place_order(), CloseUnpaidOrder(at=DUE))
    deposited = history(presale_order(), pay(stage=PaymentStage.DEPOSIT, amount=5000))
    cases: list[tuple[tuple[OrderEvent, ...], OrderCommand, type[DomainError]]] = [
        (paid, remind(), errors.OrderNotAwaitingPayment),
        (cancelled, remind(), errors.OrderNotAwaitingPayment),
        (closed, remind(), errors.OrderNotAwaitingPayment),
        (deposited, remind(stage=PaymentStage.DEPOSIT), errors.OrderNotAwaitingPayment),
        (PLACED, remind(stage=PaymentStage.DEPOSIT), errors.OrderNotAwaitingPayment),
        (history(presale_order()), remind(), errors.OrderNotAwaitingPayment),
        (PLACED, remind(at=DUE), errors.PaymentWindowClosed),
        (PLACED, remind(stage=PaymentStage.BALANCE), errors.OrderNotAwaitingBalance),
    ]
    for given, command, refusal in cases:
        spec().given(*given).when(command).then_raises(refusal)


# --- the reminder's deadline, with the injected clock ------------------------------------------


class Timers:
    """The deadline scheduler as `deadlines.reschedule` uses it, in memory: what is pending."""

    def __init__(self) -> None:
        self.pending: dict[str, datetime] = {}

    async def schedule(self, deadline: Deadline, *, connection: Any = None) -> None:
        self.pending[deadline.kind] = deadline.due_at

    async def cancel(self, kind: str, key: str, *, connection: Any = None) -> None:
        self.pending.pop(kind, None)

    async def schedule_all(self, deadlines: Sequence[Deadline], *, connection: Any = None) -> None:
        for deadline in deadlines:
            await self.schedule(deadline)

    async def cancel_all(self, kinds: Iterable[str], key: str, *, connection: Any = None) -> None:
        for kind in kinds:
            await self.cancel(kind, key)


class Order:
    """One order run as the application runs it: decide at the clock's time, move the timers
    the events call for, fire each due timer's command (a refused one records nothing)."""

    def __init__(self, policy: ShopPolicy = POLICY) -> None:
        self.events: list[OrderEvent] = []
        self.timers = Timers()
        self.policy = policy
        self.now = T0
        self._no_connection = cast(AsyncConnection, None)  # the in-memory timers need none

    async def run(self, command: OrderCommand) -> None:
        decided = decide(command, order_decider.fold(self.events))
        for event in decided:
            self.events.append(event)
            state = order_decider.fold(self.events)
            scheduler = cast(DeadlineScheduler, self.timers)
            await deadlines.reschedule(
                scheduler, self._no_connection, state, event, self.policy, self.now
            )

    async def advance(self, to: datetime) -> None:
        """Move the clock to `to`, firing every timer due by then in due order."""
        while due := sorted((at, kind) for kind, at in self.timers.pending.items() if at <= to):
            at, kind = due[0]
            self.now = at
            del self.timers.pending[kind]
            state = order_decider.fold(self.events)
            given = Given(ORDER_ID, state, len(self.events), self.policy, at, self._no_connection)
            command = deadlines.deadline_command(kind, given)
            # As the deadline worker: an obsolete timer's refused command records nothing.
            with contextlib.suppress(DomainError):
                await self.run(command)
        self.now = to

    def reminders(self) -> list[tuple[int, OrderEvent]]:
        return [
            (i, e)
            for i, e in enumerate(self.events)
            if isinstance(e, PaymentReminderDue | BalanceReminderDue)
        ]


async def test_an_unpaid_order_is_reminded_once_a_day_before_it_closes() -> None:
    order = Order()
    await order.run(place_order())
    assert order.timers.pending[PAYMENT_REMINDER] == DUE - timedelta(hours=24)
    await order.advance(DUE - timedelta(hours=24, seconds=1))
    assert order.reminders() == []
    await order.advance(DUE + timedelta(days=1))
    reminded = order.reminders()
    assert [type(e) for _, e in reminded] == [PaymentReminderDue]
    assert order.events[-1].event_type == "order.closed"  # then it closed, unpaid


async def test_a_short_promotional_window_is_reminded_half_way() -> None:
    order = Order()
    await order.run(place_order(payment_window=timedelta(minutes=30)))
    assert order.timers.pending[PAYMENT_REMINDER] == T0 + timedelta(minutes=15)


async def test_a_paid_order_is_never_reminded() -> None:
    order = Order()
    await order.run(place_order())
    await order.advance(DUE - timedelta(hours=30))
    await order.run(pay(paid_at=order.now))
    assert PAYMENT_REMINDER not in order.timers.pending
    await order.advance(DUE + timedelta(days=30))
    assert order.reminders() == []


async def test_a_cancelled_order_is_never_reminded() -> None:
    order = Order()
    await order.run(place_order())
    await order.run(CancelOrder(reason=CancellationReason.BUYER_CHANGED_MIND))
    assert order.timers.pending == {}


async def test_a_reminder_that_fires_late_after_payment_records_nothing() -> None:
    """Even a timer the payment did not cancel (a race) cannot remind a paid order."""
    order = Order()
    await order.run(place_order())
    stale = order.timers.pending[PAYMENT_REMINDER]
    await order.run(pay())
    order.timers.pending[PAYMENT_REMINDER] = stale
    await order.advance(DUE)
    assert order.reminders() == []


async def test_a_presale_order_is_reminded_of_its_deposit_then_of_its_balance() -> None:
    order = Order()
    await order.run(presale_order())
    await order.advance(DEPOSIT_DUE - timedelta(hours=1))
    await order.run(pay(stage=PaymentStage.DEPOSIT, amount=5000, paid_at=order.now))
    balance_due = T0 + timedelta(days=12)
    # The balance window opens on day 10 and lasts two days: a day before it ends.
    assert order.timers.pending[BALANCE_REMINDER] == balance_due - timedelta(hours=24)
    await order.advance(balance_due - timedelta(hours=1))
    kinds = [e.event_type for _, e in order.reminders()]
    assert kinds == ["order.payment_reminder_due", "order.balance_reminder_due"]


# --- ratings, their answers and follow-ups ---------------------------------------------------


def answer(
    text: str = "Sorry for the wait", at: datetime = RATED_AT + timedelta(hours=2)
) -> AnswerRating:
    return AnswerRating(answer=text, shop_id=SHOP_ID, at=at)


def append(
    text: str = "Arrived fine in the end", at: datetime = RATED_AT + timedelta(days=5)
) -> AppendToRating:
    return AppendToRating(comment=text, at=at)


def rated(description: int, service: int, speed: int) -> OrderRated:
    return OrderRated(
        **IDS,
        description_score=description,
        service_score=service,
        shipping_speed_score=speed,
        answer_due_by=ANSWER_DUE,
        append_due_by=APPEND_DUE,
    )


def test_a_good_rating_opens_no_follow_up() -> None:
    spec().given(*COMPLETED).when(rate(5, 3, 4)).then(rated(5, 3, 4))


@pytest.mark.parametrize("scores", [(2, 5, 5), (5, 1, 5), (5, 5, 2), (1, 1, 1)])
def test_a_medium_or_bad_rating_opens_a_follow_up_due_in_a_day(
    scores: tuple[int, int, int],
) -> None:
    spec().given(*COMPLETED).when(rate(*scores)).then(
        rated(*scores),
        RatingFollowUpOpened(
            **IDS, lowest_score=min(scores), due_by=RATED_AT + timedelta(hours=24)
        ),
    )


def test_a_shop_may_follow_up_ratings_up_to_a_higher_score() -> None:
    strict = replace(RATING_POLICY, follow_up_max_score=3)
    decided = spec().given(*COMPLETED).when(rate(5, 3, 5, policy=strict)).decided()
    assert [e.event_type for e in decided] == ["order.rated", "order.rating_follow_up_opened"]


def test_answering_a_bad_rating_closes_its_follow_up() -> None:
    bad = history(*_completed_commands(), rate(1, 2, 3))
    assert order_decider.fold(bad).rating_follow_up_open
    answered = (
        spec().given(*bad).when(answer()).then(RatingAnswered(**IDS, answer="Sorry for the wait"))
    )
    after = order_decider.fold([*bad, *answered])
    assert after.rating_answered
    assert not after.rating_follow_up_open


def test_a_good_rating_may_be_answered_too() -> None:
    good = history(*_completed_commands(), rate())
    spec().given(*good).when(answer("Thank you!")).then(RatingAnswered(**IDS, answer="Thank you!"))


def test_the_buyer_adds_one_follow_up_comment() -> None:
    good = history(*_completed_commands(), rate())
    appended = (
        spec()
        .given(*good)
        .when(append())
        .then(RatingAppended(**IDS, comment="Arrived fine in the end"))
    )
    assert order_decider.fold([*good, *appended]).rating_appended


def test_a_rating_from_before_answers_existed_can_be_answered_and_followed_up() -> None:
    old = OrderRated(**IDS, description_score=1, service_score=1, shipping_speed_score=1)
    given = (*COMPLETED, old)
    late = RATED_AT + timedelta(days=400)
    spec().given(*given).when(answer(at=late)).then(
        RatingAnswered(**IDS, answer="Sorry for the wait")
    )
    spec().given(*given).when(append(at=late)).then(
        RatingAppended(**IDS, comment="Arrived fine in the end")
    )


def test_rating_answer_and_follow_up_refusals() -> None:
    good = history(*_completed_commands(), rate())
    answered = history(*_completed_commands(), rate(1, 1, 1), answer())
    appended = history(*_completed_commands(), rate(), append())
    cases: list[tuple[tuple[OrderEvent, ...], OrderCommand, type[DomainError]]] = [
        (COMPLETED, answer(), errors.OrderNotRated),
        (history(place_order(), pay()), answer(), errors.OrderNotRated),
        (COMPLETED, append(), errors.OrderNotRated),
        (answered, answer(), errors.RatingAlreadyAnswered),
        (good, answer(at=ANSWER_DUE), errors.RatingAnswerWindowOver),
        (
            good,
            AnswerRating(answer="hi", shop_id="other-shop", at=RATED_AT),
            errors.NotTheShopsSeller,
        ),
        (good, answer(""), errors.InvalidRatingReply),
        (good, answer("   \n"), errors.InvalidRatingReply),
        (good, answer("x" * 501), errors.InvalidRatingReply),
        (appended, append(), errors.RatingAlreadyAppended),
        (good, append(at=APPEND_DUE), errors.RatingAppendWindowOver),
        (good, append(""), errors.InvalidRatingReply),
        (good, append("x" * 501), errors.InvalidRatingReply),
    ]
    for given, command, refusal in cases:
        spec().given(*given).when(command).then_raises(refusal)


def test_an_answer_of_exactly_500_characters_is_taken() -> None:
    good = history(*_completed_commands(), rate())
    spec().given(*good).when(answer("茶" * 500)).then(RatingAnswered(**IDS, answer="茶" * 500))


def test_a_rating_policy_must_let_follow_ups_fall_due_while_they_can_be_answered() -> None:
    with pytest.raises(errors.InvalidPolicyDuration, match="answer window"):
        replace(POLICY, rating=replace(RATING_POLICY, follow_up_due=timedelta(days=31)))
    for threshold in (0, 5):
        with pytest.raises(errors.InvalidPolicyDuration, match="threshold"):
            replace(POLICY, rating=replace(RATING_POLICY, follow_up_max_score=threshold))
    assert POLICY.rating == RatingPolicy(
        answer_window=timedelta(days=30),
        follow_up_due=timedelta(hours=24),
        follow_up_max_score=2,
        append_window=timedelta(days=90),
    )
    assert POLICY.payment_reminder_lead == timedelta(hours=24)


def _completed_commands() -> tuple[OrderCommand, ...]:
    return (place_order(), pay(), ship(), ConfirmReceipt(at=T0 + timedelta(days=2)))
