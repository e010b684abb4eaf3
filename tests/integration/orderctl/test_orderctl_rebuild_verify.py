"""`orderctl rebuild`, `verify` and `projections list` with a read model defined here."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.parties import Service
from eventing.codec import ContractsCodec
from orderctl.scratch import build_scratch, scratch_tables
from orderctl.testing import FixedCatalog, Invoke, Platform, SummaryProjection, lines
from orderctl.verify import compare_with_live

pytestmark = pytest.mark.integration
CODEC = ContractsCodec()


@pytest.fixture
async def model(platform: Platform) -> SummaryProjection:
    projection = SummaryProjection()
    await projection.create_tables(platform.engines[Service.ORDER])
    return projection


async def _summaries(engine: AsyncEngine) -> dict[str, tuple[str, int]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT order_id, status, events FROM test_order_summaries")
        )
        return {row.order_id: (row.status, row.events) for row in rows}


async def _orders(platform: Platform, count: int, prefix: str = "O") -> None:
    for n in range(count):
        await platform.record(Service.ORDER, f"{prefix}-{n}", "order.placed", "order.paid")


async def test_projections_list_shows_name_tables_and_sources(
    orderctl: Invoke, model: SummaryProjection
) -> None:
    result = await orderctl("projections", "list", catalog=FixedCatalog(model.projection))

    assert result.exit_code == 0, result.output
    assert "order-summaries" in result.stdout
    assert "test_order_summaries, test_order_timeline" in result.stdout


async def test_rebuild_from_the_store_replaces_the_read_model_and_reports_its_rate(
    orderctl: Invoke, platform: Platform, model: SummaryProjection
) -> None:
    await _orders(platform, 30)
    engine = platform.engines[Service.ORDER]
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO test_order_summaries VALUES ('stale', 'x', 9, 9)")
        )

    result = await orderctl(
        "rebuild",
        "order",
        "order-summaries",
        "--from-position",
        "1",
        catalog=FixedCatalog(model.projection),
    )

    assert result.exit_code == 0, result.output
    assert await _summaries(engine) == {f"O-{n}": ("paid", 2) for n in range(30)}
    summary = lines(result.stdout)[-1]
    assert summary.startswith("rebuilt order/order-summaries: 60 events in ")
    assert summary.endswith("/s)")
    assert "60/60 events" in result.stderr  # the progress bar's last state


async def test_rebuild_from_a_position_keeps_only_what_happened_since(
    orderctl: Invoke, platform: Platform, model: SummaryProjection
) -> None:
    await _orders(platform, 2, prefix="early")
    later = await platform.record(Service.ORDER, "late", "order.placed", "order.paid")

    result = await orderctl(
        "rebuild",
        "order",
        "order-summaries",
        "--from-position",
        str(later[0]),
        catalog=FixedCatalog(model.projection),
    )

    assert result.exit_code == 0, result.output
    assert await _summaries(platform.engines[Service.ORDER]) == {"late": ("paid", 2)}
    assert "2/2 events" in result.stderr


async def test_rebuild_from_the_topics_replays_what_kafka_retains(
    orderctl: Invoke, platform: Platform, model: SummaryProjection
) -> None:
    await _orders(platform, 10)
    await platform.publish_outbox(Service.ORDER)

    result = await orderctl(
        "rebuild",
        "order",
        "order-summaries",
        "--from-beginning",
        catalog=FixedCatalog(model.projection),
    )

    assert result.exit_code == 0, result.output
    assert await _summaries(platform.engines[Service.ORDER]) == {
        f"O-{n}": ("paid", 2) for n in range(10)
    }
    assert "rebuilt order/order-summaries: 20 events" in result.stdout


async def test_rebuild_needs_exactly_one_source(orderctl: Invoke, model: SummaryProjection) -> None:
    result = await orderctl(
        "rebuild",
        "order",
        "order-summaries",
        "--from-beginning",
        "--from-position",
        "1",
        catalog=FixedCatalog(model.projection),
    )

    assert result.exit_code == 2
    assert "choose exactly one of" in result.stderr


async def test_verify_passes_when_the_live_model_matches_a_rebuild(
    orderctl: Invoke, platform: Platform, model: SummaryProjection
) -> None:
    await _orders(platform, 5)
    catalog = FixedCatalog(model.projection)
    await orderctl("rebuild", "order", "order-summaries", "--from-position", "1", catalog=catalog)

    result = await orderctl("verify", "order", "order-summaries", catalog=catalog)

    assert result.exit_code == 0, result.output
    assert "table test_order_summaries (key order_id): 5 rows rebuilt: same" in result.stdout
    assert (
        "table test_order_timeline (key order_id, sequence): 10 rows rebuilt: same" in result.stdout
    )
    assert "the live read model matches the rebuild" in result.stdout
    assert await _scratch_tables(platform.engines[Service.ORDER]) == []


async def test_verify_reports_missing_extra_and_changed_rows_and_exits_1(
    orderctl: Invoke, platform: Platform, model: SummaryProjection
) -> None:
    await _orders(platform, 3)
    catalog = FixedCatalog(model.projection)
    await orderctl("rebuild", "order", "order-summaries", "--from-position", "1", catalog=catalog)
    async with platform.engines[Service.ORDER].begin() as connection:
        await connection.execute(
            text(
                "UPDATE test_order_summaries SET status = 'placed', events = 1"
                " WHERE order_id = 'O-0'"
            )
        )
        await connection.execute(text("DELETE FROM test_order_summaries WHERE order_id = 'O-1'"))
        await connection.execute(
            text("INSERT INTO test_order_summaries VALUES ('ghost', 'paid', 2, 2)")
        )

    result = await orderctl("verify", "order", "order-summaries", catalog=catalog)

    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "table test_order_summaries (key order_id): 3 rows rebuilt: DIFFERENT" in out
    assert (
        "changed order_id='O-0': status: live='placed' rebuilt='paid'; events: live=1 rebuilt=2"
        in out
    )
    assert "missing (rebuilt, not live): order_id='O-1' status='paid' events=2 version=2" in out
    assert "extra (live, not rebuilt): order_id='ghost' status='paid'" in out
    assert "test_order_timeline (key order_id, sequence): 6 rows rebuilt: same" in out
    assert "the live read model differs from the rebuild (3 rows)" in result.stderr


async def test_verify_leaves_out_orders_with_events_after_the_cut(
    platform: Platform, model: SummaryProjection
) -> None:
    await _orders(platform, 2)
    engine, store = platform.engines[Service.ORDER], platform.store(Service.ORDER)
    async with scratch_tables(engine, model.projection) as names:
        build = await build_scratch(engine, model.projection, names, {Service.ORDER: store})
        # After the cut, O-1 gets a new event, which the live model applies and the scratch
        # build cannot have: without the cut, O-1 would be reported as changed.
        await platform.record(Service.ORDER, "O-1", "order.cancelled")
        async with engine.begin() as connection:
            for event in await store.read_all():
                await model.project(CODEC.consumed_from_recorded(event), connection, {})

        summaries, timeline = await compare_with_live(engine, build, {Service.ORDER: store})

    assert build.cut == {Service.ORDER: 4}
    assert summaries.same
    assert (summaries.compared_rows, summaries.ignored_rows) == (1, 1)
    assert timeline.same
    assert (timeline.compared_rows, timeline.ignored_rows) == (2, 3)


async def _scratch_tables(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT tablename FROM pg_tables WHERE tablename LIKE '%\\_\\_verify'")
        )
        return [row.tablename for row in rows]


async def test_verify_waits_for_the_relay_and_warns_when_it_stays_behind_the_cut(
    orderctl: Invoke, platform: Platform, model: SummaryProjection
) -> None:
    await _orders(platform, 2)
    await platform.publish_outbox(Service.ORDER)
    await platform.record(Service.ORDER, "O-unpublished", "order.placed")
    catalog = FixedCatalog(model.projection)
    await orderctl("rebuild", "order", "order-summaries", "--from-position", "1", catalog=catalog)

    result = await orderctl("verify", "order", "order-summaries", "--wait", "0.5", catalog=catalog)

    assert result.exit_code == 0, result.output
    assert (
        "warning: compared although the live model may be behind: the order relay has"
        " published up to position 4, the cut is at 5"
    ) in result.stderr
