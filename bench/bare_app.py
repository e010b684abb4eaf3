"""The baseline of the HTTP benchmarks: a bare FastAPI endpoint doing one asyncpg INSERT (and,
for the reads benchmark, one doing one asyncpg SELECT of such a row by id).

`uvicorn --factory bench.bare_app:create_app` with `BENCH_BARE_DSN` set, served with the same
uvicorn settings as the services. It takes the same order body the order service gets, parses
it as JSON and inserts it as one row, with a pool as large as the service's: the least any
HTTP command that records something durably has to do. No auth, no validation, no events.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

POOL_SIZE = 20  # as the order service's engine (eventing.runtime pool_size=20)
TABLE = "bare_orders"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body jsonb NOT NULL, "
    "created_at timestamptz NOT NULL DEFAULT now())"
)


def create_app() -> FastAPI:
    dsn = os.environ["BENCH_BARE_DSN"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(dsn, min_size=POOL_SIZE, max_size=POOL_SIZE)
        await pool.execute(CREATE_TABLE)
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(title="bare baseline", lifespan=lifespan)

    @app.get("/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/orders", status_code=201)
    async def insert(body: dict[str, Any], request: Request) -> JSONResponse:
        pool: asyncpg.Pool = request.app.state.pool
        row_id = await pool.fetchval(
            f"INSERT INTO {TABLE} (body) VALUES ($1::jsonb) RETURNING id", json.dumps(body)
        )
        return JSONResponse({"id": row_id}, status_code=201)

    @app.get("/orders/{row_id}")
    async def read(row_id: int, request: Request) -> Response:
        pool: asyncpg.Pool = request.app.state.pool
        body = await pool.fetchval(f"SELECT body FROM {TABLE} WHERE id = $1", row_id)
        if body is None:
            return JSONResponse({"detail": "no such row"}, status_code=404)
        return Response(body, media_type="application/json")

    return app
