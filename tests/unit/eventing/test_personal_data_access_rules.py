"""What an access record says (issue 16, item 4): the personal fields a view holds, which views
are recorded for which caller, and the query endpoint every service documents the same way."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Request

from contracts.parties import SERVICES
from eventing.access_log import AccessLog
from eventing.http.access import Parties, masked
from eventing.http.access_audit import AccessAudit, Shown, personal_fields_in
from eventing.http.auth import Caller, Role
from eventing.service import manifest_of
from eventing.testing.personal_data import RECEIVER

ALL_RECEIVER = ("receiver.name", "receiver.phone", "receiver.address")


@pytest.mark.parametrize(
    ("document", "fields"),
    [
        ({"receiver": RECEIVER}, ALL_RECEIVER),
        ({"receiver": None, "signed_by": None}, ()),
        ({"receiver": {**RECEIVER, "phone": None}}, ("receiver.name", "receiver.address")),
        ({"signed_by": "本人", "status": "delivered"}, ("signed_by",)),
        (
            {"detail": {"receiver": RECEIVER}, "timeline": [{"data": {"signed_by": "本人"}}]},
            (*ALL_RECEIVER, "signed_by"),
        ),
        ({"timeline": [{"data": {"receiver": RECEIVER}}, {"data": {}}]}, ALL_RECEIVER),
        ({"order_id": "o-1", "items": [{"sku": "TEA"}]}, ()),
        ({"receiver": {"erased": True}, "signed_by": {"erased": True}}, ()),  # erased: nothing
    ],
)
def test_the_fields_a_view_holds_are_named_in_one_order(
    document: dict[str, Any], fields: tuple[str, ...]
) -> None:
    assert personal_fields_in(document) == fields


def request(path: str = "/v1/things/{order_id}", correlation: str | None = "flow-1") -> Request:
    headers = [(b"x-correlation-id", correlation.encode())] if correlation else []

    class Route:
        pass

    route = Route()
    route.path = path  # type: ignore[attr-defined]
    scope = {"type": "http", "method": "GET", "path": "/v1/things/o-1", "headers": headers}
    return Request({**scope, "query_string": b"", "route": route})


ORDER = Parties("buyer-1", "shop-1")
SHOWN = Shown("o-1", ORDER, {"receiver": RECEIVER})


def audit(caller: Caller, **request_options: Any) -> AccessAudit:
    return AccessAudit(AccessLog(None, "toy"), caller, request(**request_options))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("caller", "recorded"),
    [
        (Caller(Role.BUYER, "buyer-1"), True),
        (Caller(Role.SELLER, "clerk-1", "shop-1"), True),
        (Caller(Role.PLATFORM, "judge-1"), True),
        (Caller(Role.SYSTEM, "carrier-feed"), True),
        (Caller(Role.OPS, "oncall-1"), False),
        (Caller(Role.BUYER, "buyer-2"), False),
        (Caller(Role.SELLER, "clerk-9", "shop-9"), False),
    ],
)
def test_a_view_is_recorded_exactly_when_the_rule_shows_it_in_full(
    caller: Caller, recorded: bool
) -> None:
    records = audit(caller).records((SHOWN,))
    assert bool(records) is recorded
    if recorded:
        [record] = records
        assert (record.caller_subject, record.caller_role) == (caller.subject, caller.role.value)
        assert record.caller_shop_id == caller.shop_id
        assert (record.data_subject, record.order_id) == ("buyer-1", "o-1")
        assert record.fields == ALL_RECEIVER
        assert record.endpoint == "GET /v1/things/{order_id}"
        assert (record.correlation_id, record.service) == ("flow-1", "toy")


def test_a_view_without_personal_data_and_a_masked_view_are_not_recorded() -> None:
    platform = audit(Caller(Role.PLATFORM, "judge-1"))
    assert platform.records((Shown("o-1", ORDER, {"order_id": "o-1"}),)) == []
    ops = audit(Caller(Role.OPS, "oncall-1"))
    assert ops.records((Shown("o-1", ORDER, masked({"receiver": RECEIVER}, False)),)) == []


def test_an_order_shown_twice_in_one_response_is_one_record_with_all_its_fields() -> None:
    signer = Shown("o-1", ORDER, {"signed_by": "本人"})
    other = Shown("o-2", Parties("buyer-2", "shop-1"), {"receiver": RECEIVER})
    records = audit(Caller(Role.PLATFORM, "judge-1")).records((SHOWN, signer, other))
    assert [(r.order_id, r.data_subject, r.fields) for r in records] == [
        ("o-1", "buyer-1", (*ALL_RECEIVER, "signed_by")),
        ("o-2", "buyer-2", ALL_RECEIVER),
    ]


def test_a_request_without_a_correlation_id_is_recorded_under_a_new_one() -> None:
    [record] = audit(Caller(Role.PLATFORM, "judge-1"), correlation=None).records((SHOWN,))
    assert len(record.correlation_id) == 36


@pytest.fixture(scope="module", params=SERVICES, ids=lambda s: s.value)
def openapi(request: pytest.FixtureRequest) -> dict[str, Any]:
    manifest = manifest_of(request.param)
    settings = manifest.settings(database_url="postgresql://nobody@127.0.0.1:1/none")
    document: dict[str, Any] = manifest.create_app(settings).openapi()
    return document


def test_every_service_documents_the_access_records_for_platform_and_ops(
    openapi: dict[str, Any],
) -> None:
    operation = openapi["paths"]["/v1/personal-data-access"]["get"]
    assert "platform and ops" in operation["summary"]
    assert {"400", "401", "403", "422", "503"} <= set(operation["responses"])
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert {"buyer_id", "order_id", "caller", "cursor", "limit"} <= set(parameters)
    assert all(p.get("description") for p in parameters.values())
    view = openapi["components"]["schemas"]["PersonalDataAccessView"]
    assert all(member.get("description") for member in view["properties"].values())
