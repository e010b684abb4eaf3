"""`orderctl audit` on real service databases: the three services' access records merged newest
first, filtered by buyer, order and caller, as a table and as JSON lines; and the recipe in
docs/orderctl.md runs as written."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from contracts.parties import Service
from eventing.access_log import AccessLog, PersonalDataAccess
from orderctl.testing import Invoke, Platform, lines

pytestmark = pytest.mark.integration

DOC = Path(__file__).parents[3] / "docs/orderctl.md"
RECEIVER = ("receiver.name", "receiver.phone", "receiver.address")


def read(order_id: str, buyer: str, caller: str, role: str, service: Service) -> PersonalDataAccess:
    endpoint = {
        Service.ORDER: "GET /v1/orders/{order_id}",
        Service.LOGISTICS: "GET /v1/shipments/{order_id}",
    }[service]
    return PersonalDataAccess(
        caller_subject=caller,
        caller_role=role,
        caller_shop_id="shop-tea" if role == "seller" else None,
        data_subject=buyer,
        order_id=order_id,
        fields=(*RECEIVER, "signed_by") if service is Service.LOGISTICS else RECEIVER,
        endpoint=endpoint,
        correlation_id=f"flow-{order_id}",
        service=service.value,
    )


async def seed(platform: Platform) -> None:
    """Reads in time order: order service, logistics, order again."""
    order_log = AccessLog(platform.engines[Service.ORDER], "order")
    logistics_log = AccessLog(platform.engines[Service.LOGISTICS], "logistics")
    await order_log.append([read("ord-1001", "buyer-li", "buyer-li", "buyer", Service.ORDER)])
    await logistics_log.append(
        [read("ord-1001", "buyer-li", "clerk-1", "seller", Service.LOGISTICS)]
    )
    await order_log.append(
        [
            read("ord-1001", "buyer-li", "judge-1", "platform", Service.ORDER),
            read("ord-2002", "buyer-wang", "judge-1", "platform", Service.ORDER),
        ]
    )


async def test_audit_merges_the_services_records_newest_first(
    orderctl: Invoke, platform: Platform
) -> None:
    await seed(platform)
    result = await orderctl("audit", "--buyer", "buyer-li", "--json")
    assert result.exit_code == 0, result.output
    shown = [json.loads(line) for line in lines(result.stdout)]
    assert [(r["service"], r["caller_subject"]) for r in shown] == [
        ("order", "judge-1"),
        ("logistics", "clerk-1"),
        ("order", "buyer-li"),
    ]
    assert shown[1]["fields"] == [*RECEIVER, "signed_by"]
    assert shown[1]["caller_shop_id"] == "shop-tea"
    assert shown[0]["endpoint"] == "GET /v1/orders/{order_id}"
    assert shown[0]["correlation_id"] == "flow-ord-1001"

    by_caller = await orderctl("audit", "--caller", "judge-1", "--json")
    assert {json.loads(line)["order_id"] for line in lines(by_caller.stdout)} == {
        "ord-1001",
        "ord-2002",
    }
    by_order = await orderctl("audit", "--order", "ord-2002", "--json")
    assert [json.loads(line)["data_subject"] for line in lines(by_order.stdout)] == ["buyer-wang"]
    newest = await orderctl("audit", "--max", "1", "--json")
    assert [json.loads(line)["order_id"] for line in lines(newest.stdout)] == ["ord-2002"]


async def test_audit_prints_a_table_and_says_when_nothing_was_read(
    orderctl: Invoke, platform: Platform
) -> None:
    await seed(platform)
    table = await orderctl("audit", "--order", "ord-1001")
    assert table.exit_code == 0, table.output
    assert "3 full reads of personal data" in table.stdout
    for fragment in ("platform:judge-1", "seller:clerk-1@shop-tea", "buyer:buyer-li", "logistics"):
        assert fragment in table.stdout

    nothing = await orderctl("audit", "--buyer", "buyer-nobody")
    assert nothing.exit_code == 1
    assert nothing.stdout == ""
    assert "no full read of personal data" in nothing.stderr


def doc_recipe() -> list[list[str]]:
    """The commands of the shell block in docs/orderctl.md's `audit` section."""
    section = DOC.read_text().split("### Who saw personal data: `audit`", 1)[1].split("\n### ")[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the audit section has no ```bash block"
    commands = [shlex.split(line, comments=True) for line in block.group(1).splitlines()]
    return [command[1:] for command in commands if command and command[0] == "orderctl"]


async def test_the_documented_recipe_runs(orderctl: Invoke, platform: Platform) -> None:
    await seed(platform)
    recipe = doc_recipe()
    assert len(recipe) >= 3
    for command in recipe:
        result = await orderctl(*command)
        assert result.exit_code == 0, (command, result.output)
        assert result.stdout.strip(), command
