"""`orderctl events show` and `orderctl events tail`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from orderctl.cli_support import err, fail, ops, out, reported, run
from orderctl.history import order_history
from orderctl.tail import TailedEvent, resolve_topic, tail
from orderctl.times import TIME_HELP, parse_since

UNMASKED_HELP = "Show personal data (receiver name, phone, address) in full."
events = typer.Typer(help="An order's history; following a topic.", no_args_is_help=True)


@events.command("show")
def show(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="The order id (every service's stream id).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    unmasked: Annotated[bool, typer.Option("--unmasked", help=UNMASKED_HELP)] = False,
) -> None:
    """The order's whole history across order, logistics and aftersales, oldest first.

    Reads each service's event store (`eventing.events`) and merges the streams by the time
    the facts happened, then service, then position. Personal data is masked unless
    `--unmasked`.

    Examples:

    * `orderctl events show 7f3c2a10-...` : a table (time, service, type, version, actor,
      trace id, data); follow a trace id in the tracing backend (docs/operations.md, Tracing)

    * `orderctl events show 7f3c2a10-... --json | jq .type` : JSON lines
    """
    entries = run(order_history(ops(ctx).settings, order_id))
    console = out()
    if as_json:
        for entry in entries:
            typer.echo(
                json.dumps(entry.document(unmasked=unmasked), ensure_ascii=False, default=str)
            )
        return
    table = Table(title=f"order {order_id}: {len(entries)} events")
    for column in ("time (UTC)", "service", "type", "version", "actor", "trace"):
        table.add_column(column, no_wrap=True)
    table.add_column("data", overflow="fold")
    for entry in entries:
        table.add_row(*entry.row(unmasked=unmasked))
    console.print(table)


@events.command("tail")
def tail_topic(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="order, logistics, aftersales or a topic name.")],
    types: Annotated[
        list[str] | None,
        typer.Option("--type", "-t", help="Only this event type (repeatable).", show_default=False),
    ] = None,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at the oldest retained event.")
    ] = False,
    since: Annotated[
        str | None, typer.Option("--since", help=f"Start at {TIME_HELP}.", show_default=False)
    ] = None,
    max_events: Annotated[
        int | None,
        typer.Option("--max", min=1, help="Stop after this many events.", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    unmasked: Annotated[bool, typer.Option("--unmasked", help=UNMASKED_HELP)] = False,
) -> None:
    """Follow a topic, one line per event; Ctrl-C stops.

    Reads without a consumer group (nothing is committed, no service is disturbed) and
    decodes each record with the contracts; records that are not valid events are shown as
    such. Without `--from-beginning`/`--since` only new events are shown.

    Examples:

    * `orderctl events tail order` : new order events as they come

    * `orderctl events tail logistics --since 2h --type logistics.shipped`

    * `orderctl events tail orders.aftersales.v1 --from-beginning --max 20 --json`
    """
    settings = ops(ctx).settings
    if from_beginning and since is not None:
        fail("choose one of --from-beginning and --since")
    with reported():
        name = resolve_topic(settings, topic)
        start = parse_since(since, datetime.now(UTC)) if since is not None else None
    console = out()
    shown = 0

    def emit(event: TailedEvent) -> None:
        nonlocal shown
        shown += 1
        if as_json:
            typer.echo(
                json.dumps(event.document(unmasked=unmasked), ensure_ascii=False, default=str)
            )
        else:
            console.print(event.line(unmasked=unmasked), markup=False, soft_wrap=True)

    def ready() -> None:
        err().print(f"following {name} (Ctrl-C stops)", markup=False)

    work = tail(
        settings,
        name,
        emit,
        types=types or (),
        from_beginning=from_beginning,
        since=start,
        max_events=max_events,
        on_ready=ready,
    )
    try:
        run(work, interruptible=True)
    except KeyboardInterrupt:
        err().print(f"stopped after {shown} events from {name}", markup=False)
        return
    err().print(f"{shown} events from {name}", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(events, name="events")
