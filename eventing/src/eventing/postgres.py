"""Dedicated asyncpg connections for long-lived workers (relay leadership, LISTEN, hot reads)."""

from __future__ import annotations

import hashlib
import json

import asyncpg

from eventing.database import asyncpg_dsn
from eventing.events import decode_json


async def connect(dsn: str, *, application_name: str | None = None) -> asyncpg.Connection:
    """A connection that decodes json/jsonb to Python objects (`decode_json`; it encodes with
    the stdlib, whose text is what gets stored); `application_name` shows in
    `pg_stat_activity` (an operator can tell a worker's connection from the others)."""
    settings = {"application_name": application_name} if application_name else None
    connection: asyncpg.Connection = await asyncpg.connect(
        asyncpg_dsn(dsn), server_settings=settings
    )
    try:
        for type_name in ("json", "jsonb"):
            await connection.set_type_codec(
                type_name, encoder=json.dumps, decoder=decode_json, schema="pg_catalog"
            )
    except BaseException:
        connection.terminate()  # a half-set-up connection would leak with its socket
        raise
    return connection


def advisory_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a name (same in every process)."""

    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
