"""`orderctl audit`: the full reads of personal data the services recorded."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from eventing.access_log import AccessFilter
from orderctl.access_records import access_entries
from orderctl.cli_support import fail, folded_table, ops, out, run
from orderctl.errors import NOTHING_FOUND


def audit(
    ctx: typer.Context,
    buyer: Annotated[
        str | None, typer.Option("--buyer", help="Only this buyer's data.", show_default=False)
    ] = None,
    order: Annotated[
        str | None, typer.Option("--order", help="Only this order's data.", show_default=False)
    ] = None,
    caller: Annotated[
        str | None,
        typer.Option(
            "--caller", help="Only what this caller (token subject) saw.", show_default=False
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--max", min=1, help="Show at most this many.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Who saw which buyer's personal data in full, newest first, across the three services.

    Every response that showed a receiver's name, phone or address or a signer in full left
    one record per order in its service's `eventing.personal_data_access` (append-only: the
    database refuses to change or delete one). The platform and ops read the same records
    over HTTP: `GET /v1/personal-data-access` on each service.

    Examples:

    * `orderctl audit --buyer buyer-li` : everything read of one buyer's data

    * `orderctl audit --order 7f3c2a10-... --json` : JSON lines

    * `orderctl audit --caller judge-1 --max 20`
    """
    where = AccessFilter(buyer_id=buyer, order_id=order, caller=caller)
    entries = run(access_entries(ops(ctx).settings, where, limit))
    if not entries:
        fail("no full read of personal data recorded for these filters", NOTHING_FOUND)
    if as_json:
        for entry in entries:
            typer.echo(json.dumps(entry.document(), ensure_ascii=False))
        return
    table = folded_table(
        "time (UTC)", "service", "caller", "buyer", "order", "fields", "endpoint", "correlation",
        title=f"{len(entries)} full reads of personal data",
    )  # fmt: skip
    for entry in entries:
        table.add_row(*entry.row())
    out().print(table)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
