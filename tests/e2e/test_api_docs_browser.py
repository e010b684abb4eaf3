"""`/docs` and `/redoc` of every service render in a browser cut off from everything but the
service: Debian's headless Chromium (Playwright, `executable_path`) aborts any request to
another origin, as an air-gapped network would, and the test fails on one.

Each page must load all its assets from the service itself (no request elsewhere, none
answered >= 400), render every operation of the service's OpenAPI document, and raise no script
error. Screenshots of each page go to the test's temporary folder.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, Request, Response, Route, async_playwright

from contracts.parties import SERVICES, Service
from localinfra.system import System

pytestmark = [pytest.mark.e2e]

CHROMIUM = shutil.which("chromium")
_METHODS = frozenset({"get", "put", "post", "delete", "patch"})


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        pytest.fail("Debian's chromium is needed: apt-get install chromium (README, Dashboard)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            await launched.close()


class OfflinePage:
    """A page whose requests to any origin but `origin` are aborted and recorded."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.elsewhere: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.loaded: list[str] = []

    async def open(self, browser: Browser, path: str) -> Page:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        await context.route("**/*", self._only_the_service)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("requestfailed", lambda request: self.failed.append(request.url))
        page.on("response", self._answered)
        await page.goto(self.origin + path, wait_until="networkidle")
        return page

    async def _only_the_service(self, route: Route, request: Request) -> None:
        if _origin(request.url) == self.origin or request.url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            self.elsewhere.append(request.url)
            await route.abort("internetdisconnected")

    def _answered(self, response: Response) -> None:
        self.loaded.append(response.url)
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")

    def assert_offline(self) -> None:
        assert self.elsewhere == [], f"requests beyond {self.origin}: {self.elsewhere}"
        assert self.failed == [], f"requests that failed: {self.failed}"
        assert self.errors == [], f"script errors: {self.errors}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _operations(url: str) -> int:
    async with httpx.AsyncClient(timeout=10) as http:
        document = (await http.get(f"{url}/openapi.json")).json()
    return sum(1 for item in document["paths"].values() for method in item if method in _METHODS)


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.value)
async def test_swagger_ui_renders_every_operation_from_the_service_alone(
    system: System, browser: Browser, service: Service, tmp_path: Path
) -> None:
    url = system.url(service)
    offline = OfflinePage(url)
    page = await offline.open(browser, "/docs")
    await page.wait_for_selector(".opblock")
    rendered = await page.locator(".opblock").count()
    await page.screenshot(path=str(tmp_path / f"{service.value}-swagger-ui.png"))

    assert rendered == await _operations(url)
    assert f"{url}/docs/assets/swagger-ui-bundle.js" in offline.loaded
    offline.assert_offline()


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.value)
async def test_redoc_renders_every_operation_from_the_service_alone(
    system: System, browser: Browser, service: Service, tmp_path: Path
) -> None:
    url = system.url(service)
    offline = OfflinePage(url)
    page = await offline.open(browser, "/redoc")
    operations = page.locator("[data-section-id*='/operation/']")
    await operations.first.wait_for()
    rendered = await operations.count()
    await page.screenshot(path=str(tmp_path / f"{service.value}-redoc.png"))

    assert rendered == await _operations(url)
    assert f"{url}/docs/assets/redoc.standalone.js" in offline.loaded
    offline.assert_offline()
