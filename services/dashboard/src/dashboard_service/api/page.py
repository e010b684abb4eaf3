"""`GET /`: the dashboard page (its scripts, styles and vendored Chart.js under /static)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter()


@router.get("/", include_in_schema=False)
async def page() -> FileResponse:
    """The page; it asks for a token itself (URL fragment or sign-in box), never the server."""
    return FileResponse(STATIC / "index.html", media_type="text/html")
