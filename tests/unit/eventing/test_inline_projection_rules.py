"""Which read models may be projected inline (DESIGN.md rule 6): only a service's own events,
and then with no subscription (tests/integration/logistics/test_logistics_inline_read_model.py
shows the hook on the service's store at work)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from contracts.parties import Service
from eventing.projections import Projection
from eventing.subscriptions import Subscription
from logistics_service.main import MANIFEST
from logistics_service.projections import SHIPMENTS
from logistics_service.settings import LogisticsSettings

DATABASE = "postgresql+asyncpg://logistics@localhost/logistics"  # never connected to


def test_an_inline_projection_has_no_subscription_to_name() -> None:
    with pytest.raises(ValueError, match="is inline: it has no subscription"):
        replace(SHIPMENTS, subscription="read-model")


def test_an_inline_projection_reads_one_topic() -> None:
    with pytest.raises(ValueError, match="its own service's topic only"):
        replace(SHIPMENTS, topics=(Service.LOGISTICS, Service.ORDER))


def test_an_inline_projection_of_another_services_events_is_refused_at_wiring() -> None:
    theirs = replace(SHIPMENTS, name="orders-seen-by-logistics", topics=(Service.ORDER,))
    manifest = replace(MANIFEST, projections=(theirs,))
    with pytest.raises(ValueError, match="only the logistics service's own events"):
        manifest.wire(LogisticsSettings(database_url=DATABASE))


def test_the_shipments_read_model_is_a_store_hook_and_not_a_consumer_group() -> None:
    settings = LogisticsSettings(database_url=DATABASE, consumer_group_prefix="")
    wiring = MANIFEST.wire(settings)
    groups = [w.options.group for w in wiring.runtime.workers if isinstance(w, Subscription)]
    assert groups == ["logistics.order-policy"]
    assert set(wiring.handlers) == {"logistics.order-policy"}


def test_a_subscribed_projection_keeps_its_group() -> None:
    subscribed = Projection(
        name="shipments-copy",
        description="the same tables, fed by a subscription",
        tables=SHIPMENTS.tables,
        topics=(Service.LOGISTICS,),
        subscription="copy",
    )
    settings = LogisticsSettings(database_url=DATABASE, consumer_group_prefix="")
    wiring = replace(MANIFEST, projections=(subscribed,)).wire(settings)
    assert set(wiring.handlers) == {"logistics.copy", "logistics.order-policy"}
