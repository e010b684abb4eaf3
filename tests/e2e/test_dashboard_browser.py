"""The dashboard in a real browser: the system and the dashboard as real processes, a scripted
mix of 54 orders in three shops through the public APIs (the dashboard SIGKILLed and started
again half-way), then the page in Debian's headless Chromium (Playwright, `executable_path`).

For each shop, every figure on the page equals the dashboard's API, the services' own figures
endpoints (order: `period=all`; logistics and after-sales) and a fold of the topics computed here
by hand (`dashboard_hand_fold`); a new payment moves the page's GMV without a reload; and after
`orderctl rebuild dashboard` from the topics the figures are the same again.

Needs `chromium` (Debian's package; `.ci/run` installs it, README "Dashboard"). A screenshot of
the page goes to the run's log folder, and to docs/dashboard.png with DASHBOARD_SCREENSHOT=1.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, async_playwright

from contracts.parties import Service
from eventing.http.auth import Role
from eventing.testing import eventually
from localinfra import flows
from localinfra.services import wait_ready
from localinfra.system import System, run_logs, start_service, start_system, stop_system
from localinfra.testing import InfraEndpoints
from tests.e2e import dashboard_hand_fold, dashboard_mix

pytestmark = [pytest.mark.e2e]

CHROMIUM = shutil.which("chromium")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
async def dashboard_system(
    infra: InfraEndpoints, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    logs = run_logs(infra, "dashboard") or tmp_path_factory.mktemp("dashboard-logs")
    running = await start_system(infra, logs, dashboard=True)
    try:
        yield running
    finally:
        await stop_system(running)


async def test_the_page_shows_what_the_topics_say_and_moves_live(
    dashboard_system: System,
) -> None:
    if CHROMIUM is None:
        pytest.fail("Debian's chromium is needed: apt-get install chromium (README, Dashboard)")
    system = dashboard_system
    shops = dashboard_mix.new_shops(3)

    async def crash_the_dashboard() -> None:
        _kill_dashboard(system)

    mixes = [await dashboard_mix.before_the_clock_moves(system, shops[0], crash_the_dashboard)]
    await _restart_dashboard(system)
    mixes += [await dashboard_mix.before_the_clock_moves(system, shop) for shop in shops[1:]]
    await system.advance(dashboard_mix.CLOCK_MOVE)
    for mix in mixes:
        await dashboard_mix.after_the_clock_moved(system, mix)
    assert sum(mix.count for mix in mixes) >= 50

    expected = await _quiet_and_folded(system, shops)
    for shop in shops:
        figures = await _dashboard_figures(system, shop)
        _same(figures, expected[shop], f"dashboard API vs the hand fold, {shop}")
        _same_as_services(figures, await dashboard_mix.service_figures(system, shop), shop)

    assert system.dashboard is not None
    logs = system.dashboard.log_file.parent
    async with _browser_page(system) as page:
        for shop in shops:
            answered = await _choose(page, shop)
            _same(answered, expected[shop], f"what the page was answered, {shop}")
            await _shown(page, answered, shop)
        await page.screenshot(path=str(logs / "dashboard.png"), full_page=False)
        if os.environ.get("DASHBOARD_SCREENSHOT"):
            await page.screenshot(path=str(ROOT / "docs" / "dashboard.png"), full_page=False)

        # A new payment moves the page without a reload.
        async with flows.Actors(system, system.tokens, shop_id=shops[-1]) as actors:
            placed = (await _dashboard_figures(system, shops[-1]))["orders"]["placed"]
            order_id = (await flows.place_order(actors))["order_id"]
            with_it = await eventually(
                lambda: _dashboard_figures(system, shops[-1]),
                lambda figures: figures["orders"]["placed"] == placed + 1,
                message="the new order on the dashboard",
            )
            await _shown(page, with_it, shops[-1])
            shown_gmv = json.loads(await _raw(page, "orders.gmv"))
            amount = flows.payable()
            moved = {c: value + (amount if c == "CNY" else 0) for c, value in shown_gmv.items()}
            moved.setdefault("CNY", amount)
            await flows.pay(actors, order_id, amount)
            acknowledged = time.monotonic()
            await page.wait_for_function(
                "expected => JSON.stringify(JSON.parse(document.querySelector("
                "'[data-figure=\"orders.gmv\"]').dataset.raw)) === JSON.stringify(expected)",
                arg=moved,
                timeout=30_000,
            )
        # A measurement for docs/dashboard.md, not a limit: relay, consumer, stream, refetch.
        print(f"the page's GMV moved {1000 * (time.monotonic() - acknowledged):.0f} ms after "
              "the payment was acknowledged")  # fmt: skip
        navigations = await page.evaluate("performance.getEntriesByType('navigation').length")
        assert navigations == 1, "the page reloaded"

    # Rebuilt from the topics, the read model says the same.
    expected = await _quiet_and_folded(system, shops)
    await _orderctl(system, "rebuild", "dashboard")
    await _orderctl(system, "verify", "dashboard")
    for shop in shops:
        _same(await _dashboard_figures(system, shop), expected[shop], f"after rebuild, {shop}")
    tracebacks = [log.name for log in logs.glob("*.log") if "Traceback" in log.read_text()]
    assert not tracebacks, f"tracebacks in {logs}: {tracebacks}"


# -- the system ---------------------------------------------------------------------------


def _kill_dashboard(system: System) -> None:
    assert system.dashboard is not None
    system.dashboard.process.kill()
    system.dashboard.process.wait()


async def _restart_dashboard(system: System) -> None:
    """Start the killed dashboard again on its database, consumer group and port."""
    running = system.dashboard
    assert running is not None
    await running.engine.dispose()
    again = start_service(
        running.service, running.database_url, system.topics, system.infra, system.run,
        running.log_file.parent, clock_url=system.clock_url, port=urlsplit(running.url).port,
    )  # fmt: skip
    system.dashboard = again
    await wait_ready(again)


async def _dashboard_figures(system: System, shop: str) -> dict[str, Any]:
    async with system.dashboard_client(Role.PLATFORM, "judge-1") as client:
        answer = await client.get("/v1/figures", params={"shop_id": shop, "period": "all"})
    return flows.answer(answer, 200)


async def _quiet_and_folded(system: System, shops: list[str]) -> dict[str, dict[str, Any]]:
    """The hand fold of the three topics, once the dashboard shows it for every shop."""
    now = await system.now()

    async def folded() -> dict[str, dict[str, Any]]:
        envelopes = [
            envelope
            for source in Service
            for envelope in await flows.published(system.bootstrap, system.topics[source])
        ]
        return dashboard_hand_fold.fold(envelopes, now)

    async def agreeing() -> dict[str, dict[str, Any]] | None:
        expected = await folded()
        for shop in shops:
            if not _differences(await _dashboard_figures(system, shop), expected[shop]):
                continue
            return None
        return expected

    try:
        found = await eventually(agreeing, lambda found: found is not None, timeout=90)
    except AssertionError:
        found = None
    if found is None:  # say what differs
        expected = await folded()
        for shop in shops:
            _same(await _dashboard_figures(system, shop), expected[shop], f"quiet, {shop}")
    assert found is not None
    return found


async def _orderctl(system: System, *args: str) -> None:
    assert system.dashboard is not None
    env = {
        **os.environ,
        "ORDERCTL_DASHBOARD_DB": system.dashboard.database_url,
        "ORDERCTL_BOOTSTRAP": system.bootstrap,
        "ORDERCTL_GROUP_PREFIX": f"e2e.{system.run}.",
        **{f"ORDERCTL_{s.name}_TOPIC": system.topics[s] for s in Service},
        # `verify` builds its scratch copy from the services' stores, `rebuild` from the topics.
        **{f"ORDERCTL_{s.name}_DB": system.services[s].database_url for s in Service},
    }
    orderctl = Path(sys.executable).with_name("orderctl")
    process = await asyncio.create_subprocess_exec(
        str(orderctl), *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode(errors="replace")


# -- comparing ----------------------------------------------------------------------------

_BLOCKS = ("orders", "ratings", "shipping", "aftersales")


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """`{"a": {"b": 1}}` → `{"a.b": 1}`; money maps (`{"CNY": …}`) stay whole."""
    if isinstance(value, dict) and value and not all(k.isupper() for k in value):
        found: dict[str, Any] = {}
        for key, inner in value.items():
            found |= _leaves(inner, f"{prefix}{key}.")
        return found
    return {prefix.rstrip("."): value}


def _differences(actual: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    want = {k: v for block in _BLOCKS for k, v in _leaves(expected[block], f"{block}.").items()}
    have = {k: v for block in _BLOCKS for k, v in _leaves(actual[block], f"{block}.").items()}
    return [
        f"{name}: expected {value!r}, got {have.get(name, '(missing)')!r}"
        for name, value in want.items()
        if not _equal(have.get(name, "(missing)"), value)
    ]


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, int | float):
        return abs(actual - expected) < 1e-9
    return bool(actual == expected)


def _same(actual: dict[str, Any], expected: dict[str, Any], what: str) -> None:
    differences = _differences(actual, expected)
    assert not differences, f"{what}:\n  " + "\n  ".join(differences)


def _same_as_services(figures: dict[str, Any], services: dict[str, Any], shop: str) -> None:
    """The dashboard's blocks against the order, logistics and after-sales endpoints."""
    order, logistics, aftersales = services["order"], services["logistics"], services["aftersales"]
    mismatches = [
        f"orders.{name}: dashboard {value!r}, order service {order['orders'].get(name)!r}"
        for name, value in figures["orders"].items()
        if not _equal(order["orders"].get(name), value)
    ] + [
        f"ratings.{name}: dashboard {value!r}, order service {order['ratings'].get(name)!r}"
        for name, value in figures["ratings"].items()
        if not _equal(order["ratings"].get(name), value)
    ]
    shipping = figures["shipping"]
    for mine, theirs in (
        ("requested", "requested"), ("shipped", "shipped"), ("cancelled", "cancelled"),
        ("within_24h_share", "within_24h_of_payment_share"),
        ("within_48h_share", "within_48h_of_payment_share"),
        ("target_missed", "target_missed"), ("limit_missed", "limit_missed"),
        ("with_exceptions", "with_exceptions"), ("exception_rate", "exception_rate"),
    ):  # fmt: skip
        if not _equal(logistics[theirs], shipping[mine]):
            mismatches.append(f"shipping.{mine}: dashboard {shipping[mine]!r}, logistics "
                              f"{theirs} {logistics[theirs]!r}")  # fmt: skip
    after = figures["aftersales"]
    for name in (
        "paid_orders", "cases", "refund_rate", "refund_amount_rate", "disputes",
        "dispute_rate", "rulings", "ruled_against_seller_share",
    ):  # fmt: skip
        # The after-sales endpoint rounds its shares to 4 places and says 0.0 for none.
        share = round(after[name], 4) if isinstance(after[name], float) else after[name]
        if not _equal(aftersales[name], 0.0 if share is None else share):
            mismatches.append(f"aftersales.{name}: dashboard {after[name]!r}, after-sales "
                              f"{aftersales[name]!r}")  # fmt: skip
    if not _equal(aftersales["timeout_count"], after["timeouts"]):
        mismatches.append(f"aftersales.timeouts: dashboard {after['timeouts']!r}, after-sales "
                          f"timeout_count {aftersales['timeout_count']!r}")  # fmt: skip
    assert not mismatches, f"dashboard vs the services, {shop}:\n  " + "\n  ".join(mismatches)


# -- the page -----------------------------------------------------------------------------


class _PageSession:
    def __init__(self, system: System) -> None:
        self.system = system

    async def __aenter__(self) -> Page:
        assert self.system.dashboard is not None
        self._playwright = await async_playwright().start()
        assert CHROMIUM is not None
        self._browser = await self._playwright.chromium.launch(executable_path=CHROMIUM)
        context = await self._browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        self.outside: list[str] = []
        page.on(
            "request",
            lambda request: (
                None
                if urlsplit(request.url).hostname == "127.0.0.1"
                else self.outside.append(request.url)
            ),
        )
        token = self.system.tokens.issue(Role.PLATFORM, "judge-1", None)
        await page.goto(f"{self.system.dashboard.url}/#token={token}")
        await page.wait_for_selector("#dashboard:not([hidden])")
        return page

    async def __aexit__(self, *exc: object) -> None:
        await self._browser.close()
        await self._playwright.stop()
        if exc[0] is None:
            assert not self.errors, f"errors in the page: {self.errors}"
            assert not self.outside, f"requests that left the machine: {self.outside}"


def _browser_page(system: System) -> _PageSession:
    return _PageSession(system)


async def _choose(page: Page, shop: str) -> dict[str, Any]:
    """Pick the shop and 'all time'; the figures the page was answered (the stream keeps a
    connection open, so there is no network idle to wait for)."""
    await page.wait_for_function(
        "shop => [...document.querySelectorAll('#shop-picker option')].some(o => o.value === shop)",
        arg=shop,
    )
    async with page.expect_response(
        lambda r: "/v1/figures" in r.url and f"shop_id={shop}" in r.url and "period=all" in r.url
    ) as answered:
        await page.select_option("#shop-picker", shop)
        await page.click('[data-period="all"]')
    body: dict[str, Any] = await (await answered.value).json()
    return body


async def _raw(page: Page, figure: str) -> str:
    raw = await page.get_attribute(f'[data-figure="{figure}"]', "data-raw")
    assert raw is not None, f"no data-raw on {figure}"
    return raw


async def _page_figures(page: Page) -> dict[str, Any]:
    pairs: list[list[str]] = await page.evaluate(
        "[...document.querySelectorAll('[data-figure]')].map(e => [e.dataset.figure,"
        " e.dataset.raw])"
    )
    return {name: json.loads(raw) for name, raw in pairs}


async def _shown(page: Page, api: dict[str, Any], shop: str) -> None:
    """Wait until the page renders `api` (it renders after its fetch resolves), then compare."""

    async def agreeing() -> bool:
        try:
            _same_on_page(await _page_figures(page), api, shop)
        except AssertionError:
            return False
        return True

    try:
        await eventually(agreeing, bool, timeout=15)
    except AssertionError:
        _same_on_page(await _page_figures(page), api, shop)  # says what differs
        raise


def _same_on_page(shown: dict[str, Any], api: dict[str, Any], shop: str) -> None:
    expected = {k: v for block in _BLOCKS for k, v in _leaves(api[block], f"{block}.").items()}
    missing = sorted(set(expected) - set(shown))
    wrong = [
        f"{name}: page {shown[name]!r}, API {value!r}"
        for name, value in expected.items()
        if name in shown and not _equal(shown[name], value)
    ]
    assert not missing, f"figures the page does not show for {shop}: {missing}"
    assert not wrong, f"page vs API, {shop}:\n  " + "\n  ".join(wrong)
