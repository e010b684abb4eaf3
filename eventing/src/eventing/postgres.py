"""Dedicated asyncpg connections for long-lived workers (relay leadership, LISTEN, hot reads)."""

from __future__ import annotations

import hashlib
import json

import asyncpg

from eventing.database import asyncpg_dsn


async def connect(dsn: str) -> asyncpg.Connection:
    """A connection that decodes json/jsonb to Python objects."""
    connection: asyncpg.Connection = await asyncpg.connect(asyncpg_dsn(dsn))
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
    return connection


def advisory_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a name (same in every process)."""

    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
