"""`GET /v1/stream`: Server-Sent Events telling an open page that figures changed.

FastAPI's own `EventSourceResponse` pings with `: ping` on its own 15 s timer; the contract's
keep-alive is `: keep-alive`, so this route streams with Starlette's `StreamingResponse` and
encodes with FastAPI's `format_sse_event` (no extra dependency, one timer).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from fastapi.sse import format_sse_event
from starlette.types import Message, Receive, Scope, Send

from dashboard_service.api.context import Parts, Viewer, own_shop
from dashboard_service.live import Applied
from eventing.http.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["figures"])
KEEP_ALIVE_SECONDS = 15.0
_END_OF_BODY: Message = {"type": "http.response.body", "body": b"", "more_body": False}


class LiveStream(StreamingResponse):
    """A stream that ends as a finished body when the server stops it.

    A live stream never ends by itself, so a stopping server (uvicorn past
    `--timeout-graceful-shutdown`) cancels the request's task; the lifespan's shutdown only
    comes after that, too late to end the stream first. Here, and only here, the cancellation
    is expected: the page sees the stream end (and reconnects) instead of a cut connection, and
    the log gets no "Exception in ASGI application" traceback. A client that leaves is not a
    cancellation of this task (Starlette ends the stream itself) and never reaches here.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await super().__call__(scope, receive, sending)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # handled: the request ends normally
            if started:
                await send(_END_OF_BODY)


def applied_event(notice: Applied, shop_id: str | None) -> bytes | None:
    """The `applied` event a listener limited to `shop_id` gets (None: not its shop's)."""
    shops = list(notice.shop_ids) if shop_id is None else [shop_id]
    if shop_id is not None and shop_id not in notice.shop_ids:
        return None
    data = {
        "shop_ids": shops,
        "last_event_at": notice.last_event_at.isoformat() if notice.last_event_at else None,
        "applied_at": notice.applied_at.isoformat(),
    }
    return format_sse_event(event="applied", data_str=json.dumps(data))


@router.get(
    "/stream",
    response_class=LiveStream,
    responses={
        200: {
            "description": "`event: applied` after each applied batch; `: keep-alive` every 15 s.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **problem_responses(401, 403),
    },
    summary="Live notices: which shops' figures just changed",
)
async def stream(caller: Viewer, parts: Parts) -> StreamingResponse:
    """Read with fetch() and the Authorization header (not EventSource: the token stays out of
    URLs). A seller hears of its own shop only."""
    shop_id = own_shop(caller)
    # Listening before the answer starts: nothing applied after the headers is missed.
    queue = parts.broadcast.subscribe()

    async def events() -> AsyncIterator[bytes]:
        try:
            yield format_sse_event(comment="connected")
            while True:
                try:
                    notice = await asyncio.wait_for(queue.get(), KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    yield format_sse_event(comment="keep-alive")
                    continue
                event = applied_event(notice, shop_id)
                if event is not None:
                    yield event
        finally:
            parts.broadcast.unsubscribe(queue)

    return LiveStream(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
