"""orderctl finds projections and group handlers in the services' manifests, as they wire them."""

from __future__ import annotations

import pytest

from contracts.parties import SERVICES, Service
from eventing.service import manifest_of
from orderctl.catalog import Catalog
from orderctl.errors import BadInput
from orderctl.settings import OrderctlSettings

SETTINGS = OrderctlSettings(group_prefix="ops.")


def test_the_projections_are_the_ones_the_manifest_declares() -> None:
    for service in SERVICES:
        assert Catalog().projections(service) == manifest_of(service).projections


@pytest.mark.parametrize("service", SERVICES)
async def test_every_read_model_and_reaction_group_of_a_service_has_its_handler(
    service: Service,
) -> None:
    manifest = manifest_of(service)
    subscribed = [p.group for p in manifest.projections if not p.inline]
    purposes = subscribed + [r.name for r in manifest.reactions]

    async with Catalog().handlers(SETTINGS, service) as handlers:
        groups = set(handlers)

    assert groups == {f"ops.{service.value}.{purpose}" for purpose in purposes}
    # The order read model subscribes (it reads other services' topics) under its deployed
    # group, not `<service>.<projection name>`; the others are projected inline, with no group.
    assert (f"ops.{service.value}.read-model" in groups) is (service is Service.ORDER)


async def test_a_group_the_service_does_not_wire_is_refused_naming_the_groups_it_has() -> None:
    with pytest.raises(BadInput, match=r"no handler for group 'ops\.order\.guessed'.*read-model"):
        async with Catalog().handler(SETTINGS, Service.ORDER, "ops.order.guessed"):
            pass
