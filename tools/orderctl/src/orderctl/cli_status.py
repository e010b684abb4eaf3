"""`orderctl lag` and `orderctl outbox status`."""

from __future__ import annotations

from typing import Annotated

import typer

from contracts.parties import SERVICES, Service
from orderctl.catalog import parse_service
from orderctl.cli_support import folded_table, ops, out, reported, run
from orderctl.lag import TopicLag, subscription_lag
from orderctl.outbox import OutboxStatus, outbox_status
from orderctl.settings import OrderctlSettings
from orderctl.times import format_age

SERVICE_HELP = "Only this service: order, logistics or aftersales."
outbox = typer.Typer(help="The outbox relays (events table → Kafka).", no_args_is_help=True)


def _services(service: str | None) -> list[Service]:
    with reported():
        return [parse_service(service)] if service else list(SERVICES)


async def _all_lag(settings: OrderctlSettings, services: list[Service]) -> list[TopicLag]:
    return [lag for service in services for lag in await subscription_lag(settings, service)]


def lag(
    ctx: typer.Context,
    service: Annotated[str | None, typer.Argument(help=SERVICE_HELP, show_default=False)] = None,
    partitions: Annotated[
        bool, typer.Option("--partitions", help="One row per partition.")
    ] = False,
) -> None:
    """Events each subscription has not applied yet, per topic (partitions summed).

    Positions come from the service databases (`eventing.consumer_positions`, the source of
    truth of every group), ends from Kafka. A group that grows and does not shrink is stuck
    or too slow: check its service log and `orderctl dlq list`.

    Examples: `orderctl lag`, `orderctl lag logistics --partitions`.
    """
    lags = run(_all_lag(ops(ctx).settings, _services(service)))
    if not lags:
        out().print("no subscription has applied anything yet")
        return
    table = folded_table(
        "service",
        "group",
        "topic",
        *(["partition", "position", "end"] if partitions else ["partitions behind"]),
        "lag",
    )
    for entry in lags:
        if entry.topic_missing:
            table.add_row(
                entry.service.value,
                entry.group,
                entry.topic,
                *(["-", "-", "-"] if partitions else ["-"]),
                "topic missing",
            )
        elif partitions:
            for p in entry.partitions:
                table.add_row(
                    entry.service.value,
                    entry.group,
                    entry.topic,
                    str(p.partition),
                    "-" if p.position is None else str(p.position),
                    str(p.end),
                    str(p.lag),
                )
        else:
            table.add_row(
                entry.service.value,
                entry.group,
                entry.topic,
                f"{entry.partitions_behind}/{len(entry.partitions)}",
                str(entry.lag),
            )
    out().print(table)


async def _all_outboxes(settings: OrderctlSettings, services: list[Service]) -> list[OutboxStatus]:
    return [await outbox_status(settings, service) for service in services]


@outbox.command("status")
def status(
    ctx: typer.Context,
    service: Annotated[str | None, typer.Argument(help=SERVICE_HELP, show_default=False)] = None,
) -> None:
    """Unpublished events and the age of the oldest one, per service.

    Compares the relay checkpoint (`eventing.relay_checkpoints`) with the event store. A
    growing count or age means the relay is not publishing: is the service running (it
    runs the relay), is Kafka reachable (`/ready`)?

    Examples: `orderctl outbox status`, `orderctl outbox status order`.
    """
    statuses = run(_all_outboxes(ops(ctx).settings, _services(service)))
    table = folded_table(
        "service", "head position", "relay checkpoint", "unpublished", "oldest unpublished"
    )
    for entry in statuses:
        checkpoint = str(entry.checkpoint) if entry.relay_seen else "never ran"
        table.add_row(
            entry.service.value,
            str(entry.head),
            checkpoint,
            str(entry.unpublished),
            format_age(entry.oldest_unpublished_age),
        )
    out().print(table)


def register(app: typer.Typer) -> None:
    app.command("lag")(lag)
    app.add_typer(outbox, name="outbox")
