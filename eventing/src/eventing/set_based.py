"""Set-based statements for batch projectors: a table's current rows read for a batch of keys
in one SELECT, and the rows a batch produced written in one `INSERT … SELECT FROM unnest(…)`.

A batch projector folds its events per row key in Python from these rows, then writes each
table once. JSONB columns travel as their JSON text both ways, so a JSON `null` (what
SQLAlchemy writes for `None`) and an SQL NULL (a column never written) stay apart, exactly as
a projector writing event by event leaves them. Statements are built once per table (a shadow
table during a rebuild is another `Table`, see `eventing.rebuild.table_for`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, TextClause, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
Row = dict[str, Any]


def json_text(value: Any) -> str:
    """`value` as the JSON text a JSONB column is written with (`None` is JSON `null`, as
    SQLAlchemy writes it)."""
    return json.dumps(value)


def json_value(stored: str | None) -> Any:
    """A JSONB column's text as read by `current_rows` back to its value (SQL NULL: `None`)."""
    return None if stored is None else json.loads(stored)


def written_columns(table: Table) -> tuple[str, ...]:
    """The columns a batch writes: all but a generated identity key."""
    return tuple(column.name for column in table.c if column.identity is None)


async def current_rows(
    connection: AsyncConnection, table: Table, key: str, keys: Iterable[str]
) -> list[Row]:
    """The rows of `table` whose `key` column is one of `keys`, locked for this transaction
    (in key order, so two batches never wait on each other crosswise); JSONB columns as text."""
    result = await connection.execute(_select(table, key), {"keys": list(keys)})
    return [dict(row._mapping) for row in result]


async def write_rows(
    connection: AsyncConnection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    conflict: Sequence[str],
    *,
    replace: bool,
) -> None:
    """Insert `rows` (every column of `written_columns`, JSONB ones as JSON text) in one
    statement; a row whose `conflict` key exists replaces that row's columns (`replace`) or
    is dropped (not `replace`). With `replace`, a key must occur once in `rows`."""
    if not rows:
        return
    columns = written_columns(table)
    arrays = {f"c{n}": [row[name] for row in rows] for n, name in enumerate(columns)}
    await connection.execute(_insert(table, tuple(conflict), replace), arrays)


def _sql_type(table: Table, name: str) -> str:
    column_type = table.c[name].type
    if isinstance(column_type, JSONB):
        return "TEXT"
    return str(column_type.compile(dialect=_DIALECT))


@functools.lru_cache(maxsize=256)
def _select(table: Table, key: str) -> TextClause:
    shown = ", ".join(
        f'"{c.name}"::text AS "{c.name}"' if isinstance(c.type, JSONB) else f'"{c.name}"'
        for c in table.c
        if c.identity is None
    )
    return text(
        f'SELECT {shown} FROM "{table.name}" WHERE "{key}" = ANY(CAST(:keys AS TEXT[]))'
        f' ORDER BY "{key}" FOR UPDATE'
    )


@functools.lru_cache(maxsize=256)
def _insert(table: Table, conflict: tuple[str, ...], replace: bool) -> TextClause:
    columns = written_columns(table)
    names = ", ".join(f'"{name}"' for name in columns)
    values = ", ".join(
        f'u."{name}"::jsonb' if isinstance(table.c[name].type, JSONB) else f'u."{name}"'
        for name in columns
    )
    arrays = ", ".join(
        f"CAST(:c{n} AS {_sql_type(table, name)}[])" for n, name in enumerate(columns)
    )
    keys = ", ".join(f'"{name}"' for name in conflict)
    if replace:
        changed = ", ".join(
            f'"{name}" = EXCLUDED."{name}"' for name in columns if name not in conflict
        )
        on_conflict = f"DO UPDATE SET {changed}"
    else:
        on_conflict = "DO NOTHING"
    return text(
        f'INSERT INTO "{table.name}" ({names}) SELECT {values}'
        f" FROM unnest({arrays}) AS u({names}) ON CONFLICT ({keys}) {on_conflict}"
    )
