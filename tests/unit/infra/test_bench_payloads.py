"""The benchmarks' payloads are what the order service records: sealed for the buyer (v2), and
the clear variant is the v1 shape, so the sealed/clear ratios compare like with like."""

from __future__ import annotations

import asyncio

from bench.buyers import ORDERS_PER_BUYER, BuyerKeys, Buyers
from bench.payloads import RECEIVER, Placements
from contracts.events.order import OrderPlaced, OrderPlacedV1
from contracts.sealing import Sealed, open_sealed
from contracts.values import Receiver
from eventing.data_keys import PersonalData


def test_a_sealed_placement_is_a_valid_v2_event_that_opens_with_its_buyers_key() -> None:
    placements = Placements.for_orders(100)
    document = placements.placed("O-t-1", 1)

    event = OrderPlaced.model_validate(document)
    key = placements.buyers.keks.unwrap(placements.buyers.wrapped_key(placements.buyers.of(1)))

    assert placements.schema_version == 2
    assert open_sealed(event.receiver, key, Receiver) == RECEIVER
    assert "13812345678" not in str(document)


def test_a_clear_placement_is_the_v1_shape_of_the_same_order() -> None:
    sealed = Placements.for_orders(100)
    clear = Placements(sealed.buyers, sealed=False)

    document = clear.placed("O-t-1", 1)

    assert clear.schema_version == 1
    assert OrderPlacedV1.model_validate(document).receiver == RECEIVER
    assert {k: v for k, v in document.items() if k != "receiver"} == {
        k: v for k, v in sealed.placed("O-t-1", 1).items() if k != "receiver"
    }


def test_each_buyer_has_one_key_for_its_orders_spread_over_the_run() -> None:
    orders = 40
    placements = Placements.for_orders(orders)

    key_ids = {
        Sealed.model_validate(placements.placed(f"O-{n}", n)["receiver"]).key_id
        for n in range(orders)
    }

    assert placements.buyers.count == orders // ORDERS_PER_BUYER
    assert len(key_ids) == placements.buyers.count
    assert placements.buyers.of(0) == placements.buyers.of(placements.buyers.count)


def test_a_consumer_opens_receivers_with_the_buyers_keys_and_caches_them() -> None:
    buyers = Buyers(8)
    keys = BuyerKeys(buyers)
    document = Placements(buyers).placed("O-t-1", 1)

    revealed = [asyncio.run(PersonalData(keys).reveal(document)) for _ in range(3)]

    assert all(r["receiver"] == RECEIVER.model_dump(mode="json") for r in revealed)
    assert keys.misses == 1
