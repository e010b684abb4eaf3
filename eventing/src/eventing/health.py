"""Liveness (`/health`) and readiness (`/ready`: PostgreSQL and Kafka reachable, no worker
down) endpoints."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from eventing.supervision import WorkerHealth

_CHECK_TIMEOUT_S = 2.0
WorkerHealthProbe = Callable[[], Sequence[WorkerHealth]]


class DependencyChecks:
    """Holds one small PostgreSQL pool and one Kafka admin client for readiness probes.

    What `run` found is kept for `max_age` seconds, and probes that arrive while a check runs
    wait for that check: a readiness probe every 100 ms from each of several load balancers
    costs one round trip to each dependency per second, not a core. An outage is seen at most
    `max_age` late; the answer says how old it is (`age_ms`)."""

    def __init__(
        self,
        database_dsn: str,
        kafka_bootstrap: str,
        *,
        max_age: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._dsn = database_dsn
        self._bootstrap = kafka_bootstrap
        self._pool: asyncpg.Pool | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self.max_age = max_age
        self._monotonic = monotonic
        self._checked: tuple[float, dict[str, dict[str, Any]]] | None = None
        self._checking: asyncio.Lock | None = None  # made on first use, on the serving loop

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._admin is not None:
            await self._admin.close()
            self._admin = None

    async def postgres(self) -> None:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(self._dsn, min_size=0, max_size=1)
        async with self._pool.acquire() as connection:
            await connection.fetchval("SELECT 1")

    async def kafka(self) -> None:
        if self._admin is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, request_timeout_ms=2000)
            try:
                await admin.start()
            except BaseException:
                await admin.close()
                raise
            self._admin = admin
        await self._admin.list_topics()

    async def run(self) -> dict[str, dict[str, Any]]:
        """Each dependency's state (`up`/`down`), latency and error, checked concurrently, at
        most `max_age` seconds old (`age_ms`)."""
        if self._checking is None:
            self._checking = asyncio.Lock()
        async with self._checking:
            checked = self._checked
            if checked is None or self._monotonic() - checked[0] >= self.max_age:
                names = ("postgres", "kafka")
                found = await asyncio.gather(*(self._timed(name) for name in names))
                checked = (self._monotonic(), dict(zip(names, found, strict=True)))
                self._checked = checked
        age_ms = round((self._monotonic() - checked[0]) * 1000, 1)
        return {name: {**result, "age_ms": age_ms} for name, result in checked[1].items()}

    async def _timed(self, name: str) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(getattr(self, name)(), _CHECK_TIMEOUT_S)
        except Exception as error:
            # A readiness probe reports any failure of a dependency; it must never raise.
            return {"status": "down", "error": f"{type(error).__name__}: {error}"[:300]}
        return {"status": "up", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def health_router(
    service: str, checks: DependencyChecks, workers: WorkerHealthProbe = tuple
) -> APIRouter:
    """`/health` says the process is alive; `/ready` says it can serve: dependencies up and
    no background worker down (`workers` reports them)."""
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Liveness: the process is up")
    async def health() -> dict[str, str]:
        """200 while the process runs, whatever its dependencies: restart it when this fails.
        No token needed."""
        return {"status": "ok", "service": service}

    @router.get(
        "/ready",
        summary="Readiness: PostgreSQL and Kafka are reachable and no background worker is down",
        responses={503: {"description": "A dependency or a worker is down (problem+json)"}},
    )
    async def ready() -> JSONResponse:
        """200 when the service can serve: PostgreSQL and Kafka answer and every background
        worker (relay, subscriptions, deadlines) runs; otherwise 503 naming the cause. Route
        traffic by it. No token needed."""
        results = await checks.run()
        reported = workers()
        states = {worker.name: worker.as_json() for worker in reported}
        down = [name for name, result in results.items() if result["status"] != "up"]
        failing = [worker for worker in reported if worker.down]
        if not down and not failing:
            return JSONResponse(
                {"status": "ready", "service": service, "checks": results, "workers": states}
            )
        # A dependency outage usually takes workers down with it: name the cause first.
        problem = (
            {
                "type": "https://orderflow.dev/problems/dependency-unavailable",
                "title": "A dependency is unavailable",
                "detail": f"{service} cannot reach: {', '.join(down)}",
            }
            if down
            else {
                "type": "https://orderflow.dev/problems/worker-unavailable",
                "title": "A background worker is down",
                "detail": f"{service} has workers down: "
                + "; ".join(f"{worker.name} ({worker.detail})" for worker in failing),
            }
        )
        return JSONResponse(
            {**problem, "status": 503, "checks": results, "workers": states},
            status_code=503,
            media_type="application/problem+json",
        )

    return router
