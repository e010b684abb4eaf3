"""`/docs` (Swagger UI) and `/redoc` (ReDoc) from assets the service serves itself.

FastAPI's pages load their scripts, styles, fonts and favicon from CDNs, so intranet and
air-gapped deployments got a blank page. The assets are vendored into `static/` from the npm
lockfile of `eventing/web` (`eventing/web/vendor.sh`) and served under `/docs/assets/`; the
pages refer to nothing else.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).with_name("static")
ASSETS_PATH = "/docs/assets"
SWAGGER_UI_PATH = "/docs"
REDOC_PATH = "/redoc"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
ASSETS = (
    "swagger-ui-bundle.js",
    "swagger-ui.css",
    "favicon-32x32.png",
    "redoc.standalone.js",
)
"""What the pages load, all under ASSETS_PATH (the test checks a browser fetches nothing else)."""


def install_api_docs(app: FastAPI) -> None:
    """Serve the two pages and their assets; build the app with `docs_url=redoc_url=None`."""
    missing = [name for name in ASSETS if not (STATIC_DIR / name).is_file()]
    if missing:  # a wheel built without the vendored files: fail at start, not in a browser
        raise RuntimeError(f"API docs assets missing from {STATIC_DIR}: {', '.join(missing)}")
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = f"{ASSETS_PATH}/favicon-32x32.png"
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC_DIR), name="api-docs-assets")

    @app.get(SWAGGER_UI_PATH, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=favicon,
            oauth2_redirect_url=OAUTH2_REDIRECT_PATH,
            # No validator badge: it would send the document to validator.swagger.io. "Try it
            # out" calls the document's `servers` (PUBLIC_URL) with the Authorize button's token.
            swagger_ui_parameters={"persistAuthorization": True, "validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_PATH, include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )
