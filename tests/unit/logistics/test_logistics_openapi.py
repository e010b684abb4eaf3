"""The published OpenAPI document: every /v1 operation summarised, commands idempotent."""

from __future__ import annotations

from typing import Any

import pytest

from logistics_service.main import create_app
from logistics_service.settings import LogisticsSettings


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    # Building the app connects to nothing; the URL is never used.
    settings = LogisticsSettings(database_url="postgresql://nobody@127.0.0.1:1/none")
    document: dict[str, Any] = create_app(settings).openapi()
    return document


def operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in openapi["paths"].items()
        if path.startswith("/v1/")
        for method, operation in methods.items()
    ]


def test_the_api_offers_every_endpoint_of_the_issue(openapi: dict[str, Any]) -> None:
    assert {(method, path) for path, method, _ in operations(openapi)} == {
        ("post", "/v1/shipments/{order_id}/dispatch"),
        ("post", "/v1/shipments/{order_id}/checkpoints"),
        ("post", "/v1/tracking/checkpoints:batch"),
        ("post", "/v1/shipments/{order_id}/exceptions"),
        ("post", "/v1/shipments/{order_id}/exceptions/{exception_id}/resolution"),
        ("post", "/v1/shipments/{order_id}/delivery"),
        ("get", "/v1/shipments/{order_id}"),
        ("get", "/v1/shipments/{order_id}/tracking"),
        ("get", "/v1/shipments"),
        ("get", "/v1/stats/carriers"),
        ("get", "/v1/stats/shops/{shop_id}"),
        ("get", "/v1/shops/{shop_id}/policy"),
        ("put", "/v1/shops/{shop_id}/policy"),
        ("get", "/v1/personal-data-access"),
    }


def test_every_operation_has_a_summary_and_every_command_an_idempotency_key(
    openapi: dict[str, Any],
) -> None:
    for path, method, operation in operations(openapi):
        assert operation.get("summary"), f"{method} {path} has no summary"
        if method in ("post", "put"):
            headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
            assert {"Idempotency-Key", "If-Match"} <= headers or path.endswith(":batch"), path
            assert "422" in operation["responses"], f"{method} {path} documents no refusal"


def test_request_bodies_carry_examples(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    for name in ("DispatchRequest", "CheckpointRequest", "CheckpointBatchRequest",
                 "OpenExceptionRequest", "ResolveExceptionRequest", "DeliveryRequest",
                 "ShippingPolicy"):  # fmt: skip
        assert schemas[name].get("examples"), f"{name} has no example"
