"""The Idempotency-Key store on the real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from eventing.clock import ManualClock
from eventing.idempotency import (
    IdempotencyKeyReused,
    IdempotencyStore,
    StoredResponse,
    request_fingerprint,
)

pytestmark = pytest.mark.integration

PLACE = request_fingerprint("POST", "/v1/orders", b'{"sku": "A", "qty": 1}')
OTHER = request_fingerprint("POST", "/v1/orders", b'{"sku": "A", "qty": 2}')
CREATED = StoredResponse(201, {"order_id": "o-1"}, {"location": "/v1/orders/o-1"})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def keys(engine: AsyncEngine, clock: ManualClock) -> IdempotencyStore:
    return IdempotencyStore(engine, clock, ttl=timedelta(hours=24))


async def _save(
    engine: AsyncEngine, keys: IdempotencyStore, request: str, response: StoredResponse
) -> StoredResponse:
    async with engine.begin() as connection:
        return await keys.save("orders", "k-1", request, response, connection=connection)


async def test_a_retry_with_the_same_key_and_body_gets_the_stored_response(
    engine: AsyncEngine, keys: IdempotencyStore
) -> None:
    assert await keys.lookup("orders", "k-1", PLACE) is None
    await _save(engine, keys, PLACE, CREATED)

    assert await keys.lookup("orders", "k-1", PLACE) == CREATED


async def test_the_same_key_with_another_body_is_refused(
    engine: AsyncEngine, keys: IdempotencyStore
) -> None:
    await _save(engine, keys, PLACE, CREATED)

    with pytest.raises(IdempotencyKeyReused):
        await keys.lookup("orders", "k-1", OTHER)
    with pytest.raises(IdempotencyKeyReused):
        await _save(engine, keys, OTHER, StoredResponse(201, {"order_id": "o-2"}))


async def test_keys_are_separate_per_scope(engine: AsyncEngine, keys: IdempotencyStore) -> None:
    await _save(engine, keys, PLACE, CREATED)

    assert await keys.lookup("refunds", "k-1", OTHER) is None


async def test_an_expired_key_is_forgotten_and_can_be_used_again(
    engine: AsyncEngine, keys: IdempotencyStore, clock: ManualClock
) -> None:
    await _save(engine, keys, PLACE, CREATED)
    clock.advance(timedelta(hours=24))

    assert await keys.lookup("orders", "k-1", OTHER) is None
    second = StoredResponse(201, {"order_id": "o-2"})
    assert await _save(engine, keys, OTHER, second) == second
    clock.advance(timedelta(hours=24))
    assert await keys.purge_expired() == 1


async def test_a_response_saved_in_a_rolled_back_command_is_not_kept(
    engine: AsyncEngine, keys: IdempotencyStore
) -> None:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        await keys.save("orders", "k-1", PLACE, CREATED, connection=connection)
        await transaction.rollback()

    assert await keys.lookup("orders", "k-1", PLACE) is None


async def test_concurrent_requests_with_one_key_all_answer_with_the_first_response(
    engine: AsyncEngine, keys: IdempotencyStore
) -> None:
    responses = [StoredResponse(201, {"order_id": f"o-{n}"}) for n in range(5)]

    answers = await asyncio.gather(*(_save(engine, keys, PLACE, r) for r in responses))

    assert len({str(answer.body) for answer in answers}) == 1


async def _claim_and_complete(
    engine: AsyncEngine, keys: IdempotencyStore, request: str, response: StoredResponse
) -> StoredResponse | None:
    async with engine.begin() as connection:
        stored = await keys.claim("orders", "k-1", request, connection=connection)
        if stored is None:
            await keys.complete("orders", "k-1", response, connection=connection)
        return stored


async def test_a_claimed_key_answers_its_retries_and_refuses_another_body(
    engine: AsyncEngine, keys: IdempotencyStore
) -> None:
    assert await _claim_and_complete(engine, keys, PLACE, CREATED) is None

    assert await _claim_and_complete(engine, keys, PLACE, CREATED) == CREATED
    assert await keys.lookup("orders", "k-1", PLACE) == CREATED
    with pytest.raises(IdempotencyKeyReused):
        await _claim_and_complete(engine, keys, OTHER, CREATED)


async def test_an_expired_claimed_key_is_taken_over(
    engine: AsyncEngine, keys: IdempotencyStore, clock: ManualClock
) -> None:
    await _claim_and_complete(engine, keys, PLACE, CREATED)
    clock.advance(timedelta(hours=24))

    second = StoredResponse(201, {"order_id": "o-2"})
    assert await _claim_and_complete(engine, keys, OTHER, second) is None
    assert await keys.lookup("orders", "k-1", OTHER) == second


async def test_a_second_claim_waits_for_the_first_and_gets_its_response_or_the_key(
    engine: AsyncEngine, keys: IdempotencyStore
) -> None:
    # The first claim holds the key's row: the second waits on it, then replays the committed
    # response, or claims the key itself when the first rolled back (a refusal).
    for first_commits in (False, True):
        async with engine.connect() as first:
            transaction = await first.begin()
            key = f"k-{first_commits}"
            assert await keys.claim("orders", key, PLACE, connection=first) is None

            async def second(key: str) -> StoredResponse | None:
                async with engine.begin() as connection:
                    return await keys.claim("orders", key, PLACE, connection=connection)

            waiting = asyncio.create_task(second(key))
            await asyncio.sleep(0.2)
            assert not waiting.done()
            if first_commits:
                await keys.complete("orders", key, CREATED, connection=first)
                await transaction.commit()
                assert await waiting == CREATED
            else:
                await transaction.rollback()
                assert await waiting is None
