"""`orderctl dlq list|show|retry|discard`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from orderctl.catalog import parse_service
from orderctl.cli_support import err, fail, folded_table, ops, out, reported, run
from orderctl.dlq import dead_letter_topics, read_dead_letters, summarise_error
from orderctl.dlq_repair import discard_dead_letters, retry_dead_letters
from orderctl.errors import NOTHING_FOUND

TOPIC_HELP = "The dead-letter topic, `TOPIC.dlq.GROUP` (see `orderctl dlq list`)."
dlq = typer.Typer(help="Dead letters: events a subscription could not apply.", no_args_is_help=True)


@dlq.command("list")
def list_topics(ctx: typer.Context) -> None:
    """Every dead-letter topic with its records: total, handled (retried or discarded), pending.

    A subscription dead-letters an event its handler failed on `max_attempts` times (to
    `<topic>.dlq.<group>`) and moves on. Pending ones need a decision: fix the cause and
    `retry`, or `discard`.

    Example: `orderctl dlq list`
    """
    topics = run(dead_letter_topics(ops(ctx).settings))
    if not topics:
        out().print("no dead-letter topics")
        return
    table = folded_table("dead-letter topic", "group", "total", "handled", "pending")
    for topic in topics:
        table.add_row(
            topic.topic, topic.group, str(topic.total), str(topic.handled), str(topic.pending)
        )
    out().print(table)


@dlq.command("show")
def show(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help=TOPIC_HELP)],
    show_all: Annotated[bool, typer.Option("--all", help="Include handled dead letters.")] = False,
    limit: Annotated[
        int | None, typer.Option("--max", min=1, help="Show at most this many.", show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Print each letter's whole error after the table.")
    ] = False,
) -> None:
    """The pending dead letters of a topic with a one-line summary of each error.

    Shows where each came from (`dlq_origin_*`), when it failed, after how many attempts, and
    the error summarised: its class, the first line of its message and where it arose (the
    SQL statement of a database error, else the record). `--full` adds the whole error
    (`dlq_error`, e.g. a statement and its parameters) below the table; `--json` always has
    it. Event data is not printed (it may hold personal data): use
    `orderctl events show ORDER_ID`.

    Examples:

    * `orderctl dlq show orders.order.v1.dlq.logistics.order-policy`

    * `orderctl dlq show orders.order.v1.dlq.logistics.order-policy --full`

    * `orderctl dlq show orders.order.v1.dlq.logistics.order-policy --all --json`
    """
    letters = run(
        read_dead_letters(ops(ctx).settings, topic, include_handled=show_all, limit=limit)
    )
    if not letters:
        fail(f"no {'' if show_all else 'pending '}dead letters in {topic}", NOTHING_FOUND)
    console = out()
    if as_json:
        for letter in letters:
            typer.echo(json.dumps(letter.document(), ensure_ascii=False, default=str))
        return
    table = folded_table(
        "offset", "type", "order", "seq", "origin", "failed at", "attempts", "error", "where"
    )
    for letter in letters:
        failure = letter.failure
        origin = (
            f"{failure.get('origin_topic', '?')}/{failure.get('origin_partition', '?')}"
            f"@{failure.get('origin_offset', '?')}"
        )
        summary = summarise_error(failure)
        table.add_row(
            f"{letter.partition}:{letter.offset}" + (" (handled)" if letter.handled else ""),
            letter.event_type,
            letter.order_id,
            letter.sequence,
            origin,
            failure.get("failed_at", ""),
            failure.get("attempts", ""),
            f"{summary.kind}: {summary.first_line}",
            summary.where,
        )
    console.print(table)
    if full:
        for letter in letters:
            console.print(
                f"\n{letter.partition}:{letter.offset} {letter.failure.get('error_type', '')}",
                markup=False,
            )
            console.print(letter.failure.get("error", ""), markup=False, highlight=False)
    elif any(len(letter.failure.get("error", "").splitlines()) > 1 for letter in letters):
        err().print("errors summarised; --full prints them whole")


@dlq.command("retry")
def retry(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help=TOPIC_HELP)],
    service: Annotated[
        str | None,
        typer.Option(
            "--service", help="The group's service, if its name does not tell.", show_default=False
        ),
    ] = None,
    wait: Annotated[
        float, typer.Option("--wait", min=1, help="Seconds to allow for applying them.")
    ] = 120.0,
) -> None:
    """Apply the pending dead letters again with the failed group's handler (after a fix).

    Runs the group's own handler over the dead-letter topic as the group `<group>.retry`
    (positions in the service database: each dead letter is applied once), then marks them
    handled. What fails again goes to `<dlq topic>.dlq.<group>.retry` and is reported.
    A projection's group gets the projection's projector; other groups' handlers come
    from the service's own wiring (`create_app`, built but not started).

    Example: `orderctl dlq retry orders.order.v1.dlq.order.read-model`
    """
    settings, catalog = ops(ctx).settings, ops(ctx).catalog
    with reported():
        owner = parse_service(service) if service else None
    outcome = run(retry_dead_letters(settings, catalog, topic, service=owner, wait_seconds=wait))
    out().print(
        f"retried {outcome.pending} dead letters of {topic}: {outcome.applied} applied, "
        f"{outcome.failed_again} failed again",
        markup=False,
        soft_wrap=True,
    )
    if outcome.failed_again:
        fail(f"{outcome.failed_again} failed again: see orderctl dlq show {outcome.failed_topic}")


@dlq.command("discard")
def discard(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help=TOPIC_HELP)],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the handled mark).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Mark the pending dead letters handled without applying them (nothing is deleted).

    Use it when the events must not be applied (e.g. test data, an order repaired by hand).
    The records stay in Kafka; `dlq show --all` still shows them as handled.

    Example: `orderctl dlq discard orders.order.v1.dlq.order.read-model --reason "INC-42"`
    """

    def confirm(pending: int) -> bool:
        err().print(
            f"{pending} pending dead letters in {topic} will be marked handled",
            markup=False,
            soft_wrap=True,
        )
        return yes or typer.confirm("Discard them?", default=False, err=True)

    discarded = run(discard_dead_letters(ops(ctx).settings, topic, reason, confirm))
    if discarded is None:
        fail("nothing discarded", NOTHING_FOUND)
    out().print(f"discarded {discarded} dead letters of {topic}")


def register(app: typer.Typer) -> None:
    app.add_typer(dlq, name="dlq")
