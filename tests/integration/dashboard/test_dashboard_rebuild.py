"""The dashboard's read model is a read model like any: `orderctl verify dashboard` finds the
live figures equal to a build from the three services' stores, and `orderctl rebuild
dashboard` replays the topics into the same figures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from typer.testing import Result

from contracts.parties import SERVICES
from eventing.codec import ContractsCodec
from eventing.database import create_engine
from eventing.events import EventMetadata, StreamState
from eventing.migrate import upgrade_async
from localinfra.testing import InfraEndpoints
from orderctl.testing import Platform, run_cli
from tests.integration.dashboard.harness import Dashboard, dashboard_settings, serving, topic_names
from tests.integration.dashboard.story import week

pytestmark = pytest.mark.integration
CODEC = ContractsCodec()


@pytest.fixture
async def platform(
    database_factory: Callable[[], Awaitable[str]],
    topic_factory: Callable[..., Awaitable[str]],
    infra: InfraEndpoints,
) -> AsyncIterator[Platform]:
    """The three producers' event stores and topics (orderctl builds from the stores)."""
    urls = {service: await database_factory() for service in SERVICES}
    for url in urls.values():
        await upgrade_async(url)
    topics = {service: await topic_factory(3) for service in SERVICES}
    found = Platform(infra.kafka_bootstrap, urls, topics)
    found.engines = {s: create_engine(urls[s], pool_size=4) for s in SERVICES}
    yield found
    for engine in found.engines.values():
        await engine.dispose()


@pytest.fixture
async def dashboard(
    infra: InfraEndpoints,
    platform: Platform,
    migrated_database_factory: Callable[[str], Awaitable[str]],
) -> AsyncIterator[Dashboard]:
    url = await migrated_database_factory("dashboard")
    async with serving(dashboard_settings(infra, url, topic_names(platform.topics))) as running:
        yield running


async def _record_weeks(platform: Platform, *shops: str) -> int:
    """Append the shops' weeks to the producers' stores and let their relays publish them."""
    recorded = 0
    for shop in shops:
        for payload, _ in week(shop):
            event = CODEC.encode(payload, EventMetadata(actor="system", actor_id="test"))
            await platform.store(payload.producer).append(
                payload.order_id, [event], StreamState.ANY
            )
            recorded += 1
    for service in SERVICES:
        await platform.publish_outbox(service)
    return recorded


async def _orderctl(platform: Platform, dashboard: Dashboard, *args: str) -> Result:
    environment = {
        "ORDERCTL_DASHBOARD_DB": dashboard.settings.database_url,
        "ORDERCTL_GROUP_PREFIX": dashboard.settings.consumer_group_prefix,
    }
    return await run_cli(platform, *args, env=environment)


async def test_the_live_figures_equal_a_build_from_the_stores_and_a_rebuild_from_the_topics(
    platform: Platform, dashboard: Dashboard
) -> None:
    recorded = await _record_weeks(platform, "shop-tea", "shop-two")
    await dashboard.has_applied(recorded)
    live = {shop: await dashboard.figures(shop_id=shop, period="all")
            for shop in ("shop-tea", "shop-two")}  # fmt: skip

    verified = await _orderctl(platform, dashboard, "verify", "dashboard", "--wait", "30")
    assert verified.exit_code == 0, verified.output
    assert "the live read model matches the rebuild" in verified.stdout
    assert "table dashboard_payments" in verified.stdout

    rebuilt = await _orderctl(platform, dashboard, "rebuild", "dashboard")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"rebuilt dashboard/figures: {recorded:,} events" in rebuilt.stdout
    for shop, figures in live.items():
        again = await dashboard.figures(shop_id=shop, period="all")
        assert {**again, "last_event": None} == {**figures, "last_event": None}
        assert again["last_event"]["at"] == figures["last_event"]["at"]


async def test_the_dashboard_has_no_store_to_rebuild_from(
    platform: Platform, dashboard: Dashboard
) -> None:
    refused = await _orderctl(platform, dashboard, "rebuild", "dashboard", "--from-position", "1")
    assert refused.exit_code == 2
    assert "keeps no event store" in refused.stderr
    listed = await _orderctl(platform, dashboard, "projections", "list", "dashboard")
    assert listed.exit_code == 0, listed.output
    assert "figures" in listed.stdout
