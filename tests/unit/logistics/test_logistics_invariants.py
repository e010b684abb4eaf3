"""Invariants over random command sequences and random checkpoint orders (hypothesis)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.events.base import LogisticsEvent
from contracts.events.logistics import (
    Checkpoint,
    CheckpointStatus,
    ExceptionKind,
    ExceptionResolution,
    ShipDeadline,
    ShipDeadlineMissed,
    ShipmentCancellationReason,
    ShipmentCancelled,
    Shipped,
)
from contracts.values import Waybill
from eventing.decider import DomainError
from logistics_service.domain import (
    CancelShipment,
    ChangeReceiver,
    Dispatch,
    MarkDeadlineMissed,
    OpenException,
    RecordCheckpoint,
    RecordDelivery,
    RequestShipment,
    ResolveException,
    Shipment,
    ShipmentCommand,
    shipment_decider,
)
from logistics_service.examples import (
    ITEMS,
    ORDER_ID,
    PAID_AT,
    RECEIVER,
    RESHIP_WAYBILL,
    SEALED_NEW_RECEIVER,
    SEALED_RECEIVER,
    SHOP_ID,
    WAYBILL,
    WINDOW,
    shipment_requested,
    shipped,
)

hours = st.integers(min_value=0, max_value=120).map(lambda h: PAID_AT + timedelta(hours=h))
waybills = st.sampled_from([WAYBILL, RESHIP_WAYBILL])
scans = st.builds(
    Checkpoint,
    occurred_at=hours,
    status=st.sampled_from(CheckpointStatus),
    location=st.none(),
    description=st.just("scan"),
)
request = st.just(RequestShipment(ORDER_ID, SHOP_ID, ITEMS, SEALED_RECEIVER, PAID_AT, WINDOW))
cancel = st.builds(
    CancelShipment,
    st.just(ORDER_ID),
    st.just(SHOP_ID),
    st.sampled_from(ShipmentCancellationReason),
    cancelled_at=hours,
)
dispatch = st.builds(
    Dispatch,
    waybill=waybills,
    items=st.sampled_from([ITEMS, ITEMS, ITEMS[:1]]),
    shipped_at=hours,
    receiver=st.just(RECEIVER),
)
exception_opened = st.builds(
    OpenException, st.sampled_from(["e1", "e2"]), st.sampled_from(ExceptionKind), st.just("seen")
)
exception_resolved = st.one_of(
    st.builds(
        ResolveException,
        st.sampled_from(["e1", "e2"]),
        st.sampled_from([ExceptionResolution.TRACED, ExceptionResolution.DELIVERED]),
    ),
    st.just(ResolveException("e1", ExceptionResolution.RESHIPPED, new_waybill=RESHIP_WAYBILL)),
)


def weighted(
    *choices: tuple[int, st.SearchStrategy[ShipmentCommand]],
) -> st.SearchStrategy[ShipmentCommand]:
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(table).flatmap(lambda strategy: strategy)


# Requests, dispatches and what follows them are drawn far more often than cancellations, so
# most sequences reach the interesting states (shipped, tracked, delivered) instead of stopping
# at cancelled.
commands = weighted(
    (3, request),
    (4, dispatch),
    (1, cancel),
    (1, st.just(ChangeReceiver(SEALED_NEW_RECEIVER))),
    (2, st.builds(MarkDeadlineMissed, st.sampled_from(ShipDeadline), hours)),
    (4, st.builds(RecordCheckpoint, waybills, scans)),
    (2, exception_opened),
    (2, exception_resolved),
    (2, st.builds(RecordDelivery, hours)),
)


def run(sequence: list[ShipmentCommand]) -> tuple[list[LogisticsEvent], Shipment]:
    """Every command in turn, as the application would: refused ones change nothing."""
    state, history = shipment_decider.initial_state, []
    for command in sequence:
        try:
            events = list(shipment_decider.decide(command, state))
        except DomainError:
            continue
        history.extend(events)
        state = shipment_decider.fold(events, state)
    return history, state


@settings(max_examples=400)
@given(st.lists(commands, min_size=3, max_size=30))
def test_a_shipment_is_never_dispatched_twice_nor_after_its_cancellation(
    sequence: list[ShipmentCommand],
) -> None:
    history, _ = run(sequence)
    kinds = [type(event) for event in history]
    assert kinds.count(Shipped) <= 1
    assert kinds.count(ShipmentCancelled) <= 1
    # cancelled first: never ships; shipped first: a late cancellation is aftersales' business
    assert not (Shipped in kinds and ShipmentCancelled in kinds)


@settings(max_examples=400)
@given(st.lists(commands, min_size=3, max_size=30))
def test_each_ship_deadline_is_missed_at_most_once_and_never_after_dispatch(
    sequence: list[ShipmentCommand],
) -> None:
    history, _ = run(sequence)
    missed = Counter(e.deadline for e in history if isinstance(e, ShipDeadlineMissed))
    assert all(count == 1 for count in missed.values())
    shipped_at = next((i for i, e in enumerate(history) if isinstance(e, Shipped)), len(history))
    assert not any(isinstance(e, ShipDeadlineMissed) for e in history[shipped_at:])


@given(
    st.lists(
        st.tuples(waybills, scans),
        max_size=12,
        unique_by=lambda pair: (pair[0], pair[1].occurred_at, pair[1].status),
    ),
    st.randoms(),
)
def test_checkpoints_in_any_order_and_resent_give_the_same_history(
    reported: list[tuple[Waybill, Checkpoint]], random: Random
) -> None:
    start = shipment_decider.fold([shipment_requested(), shipped(), *_reshipped()])
    in_order = [RecordCheckpoint(waybill, scan) for waybill, scan in reported]
    shuffled = list(in_order) * 2
    random.shuffle(shuffled)
    first = _record_all(start, in_order)
    second = _record_all(start, shuffled)
    assert first.tracking == second.tracking
    assert first.tracking_status == second.tracking_status
    assert [t.checkpoint.occurred_at for t in first.tracking] == sorted(
        scan.occurred_at for _, scan in reported
    )


def _reshipped() -> list[LogisticsEvent]:
    """A lost first parcel and a reshipment, so checkpoints can belong to either waybill."""
    state = shipment_decider.fold([shipment_requested(), shipped()])
    opened = shipment_decider.decide(OpenException("e1", ExceptionKind.LOST, "gone"), state)
    state = shipment_decider.fold(opened, state)
    reship = ResolveException("e1", ExceptionResolution.RESHIPPED, new_waybill=RESHIP_WAYBILL)
    return [*opened, *shipment_decider.decide(reship, state)]


def _record_all(state: Shipment, sequence: list[RecordCheckpoint]) -> Shipment:
    for command in sequence:
        state = shipment_decider.fold(shipment_decider.decide(command, state), state)
    return state
