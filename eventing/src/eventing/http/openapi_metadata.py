"""What an OpenAPI document says about itself: version, servers, contact, licence and tags.

Generators, Spectral (`spectral:oas`) and portals read these: `info.version` is the service
release (`orderflow-<service>` package version) with the API's major version in the path (`/v1`),
`servers` is where this deployment answers (PUBLIC_URL), and every tag an operation uses is
declared with a description here, once for all services (an undeclared tag fails the unit
test, so a new one is described when it is introduced).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI

CONTACT = {"name": "Orderflow platform team (docs/operations.md, docs/runbook.md)"}
LICENSE = {"name": "Proprietary: internal use by the shops' back offices"}

TAG_DESCRIPTIONS: dict[str, str] = {
    "operations": "Liveness and readiness probes (no token).",
    "contracts": "The event contracts: JSON Schemas (the targets of `ce_dataschema`) and the "
    "AsyncAPI document (no token).",
    "order commands": "Place, pay, change, cancel, confirm and rate orders (Idempotency-Key, "
    "If-Match with the order's ETag).",
    "order queries": "Read an order or list orders (buyers see theirs, sellers their shop's).",
    "shops": "SKU stock and limits of a shop.",
    "personal data": "Erasure and export of a buyer's personal data.",
    "personal data access": "Who opened whose personal data, from the access audit.",
    "figures": "Business figures per shop and period, from the read models.",
    "shop policy": "A shop's policy overrides (windows, time-outs) over the service defaults.",
    "shipment commands": "Ship, track, raise and resolve exceptions, deliver.",
    "shipments": "Read shipments and their tracking, ship-by SLA and exceptions.",
    "carrier feed": "Carriers' tracking updates (role `system`).",
    "refund cases": "Refund requests, returns, time-outs, disputes and platform rulings.",
    "customer care": "Answers and follow-up comments to ratings, a shop's ratings and its "
    "customer-care queue (medium and bad ratings to follow up, unpaid orders reminded to pay).",
    "complaints": "File, accept, analyse, handle, reply to and follow up complaints; the shop's "
    "queue, the platform's escalated queue and rulings, complaint figures.",
}


def release(package: str) -> str:
    """The installed version of `package` (`0.0.0` in a tree that is not installed)."""
    try:
        return version(package)
    except PackageNotFoundError:
        return "0.0.0"


def install_metadata(app: FastAPI, public_url: str, package: str) -> None:
    """Set the metadata FastAPI puts in `app.openapi()`; the built document's tags are
    declared by `declare_tags`, which `eventing.http.openapi.install_openapi` is given."""
    app.version = release(package)
    app.servers = [{"url": public_url or "/", "description": "This deployment (PUBLIC_URL)."}]
    app.contact = CONTACT
    app.license_info = LICENSE


def declare_tags(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with a top-level `tags` entry for every tag its operations use, in order of
    first use; an undescribed tag is declared without a description (the test refuses it)."""
    used: list[str] = []
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                used += [tag for tag in operation.get("tags", ()) if tag not in used]
    document["tags"] = [
        {"name": tag, **({"description": TAG_DESCRIPTIONS[tag]} if tag in TAG_DESCRIPTIONS else {})}
        for tag in used
    ]
    return document
