"""`orderctl projections list`, `rebuild`, `verify` and `republish`."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Annotated

import typer

from contracts.parties import SERVICES, Service
from orderctl.catalog import parse_owner, parse_service
from orderctl.cli_support import err, fail, folded_table, ops, out, reported, run
from orderctl.differences import TableDifferences
from orderctl.errors import DIFFERENT
from orderctl.progress import progress_bar
from orderctl.rebuild import (
    RebuildSummary,
    check_reads_only_own_events,
    rebuild_projection_from_store,
    rebuild_projection_from_topics,
)
from orderctl.republish import RepublishPlan, republish
from orderctl.settings import ReadSide
from orderctl.summaries import describe_row, describe_value
from orderctl.times import TIME_HELP, check_positions, format_rate, parse_since
from orderctl.verify import VerifyReport, verify_projection

SERVICE_HELP = "order, logistics or aftersales."
OWNER_HELP = "order, logistics, aftersales or dashboard."
ServiceName = Annotated[str, typer.Argument(help=SERVICE_HELP)]
OwnerName = Annotated[str, typer.Argument(help=OWNER_HELP)]
ProjectionName = Annotated[
    str | None,
    typer.Argument(
        help="Its name (see `orderctl projections list`); may be left out when there is one.",
        show_default=False,
    ),
]
projections = typer.Typer(help="The read models each service declares.", no_args_is_help=True)


@projections.command("list")
def list_projections(
    ctx: typer.Context,
    service: Annotated[
        str | None, typer.Argument(help=f"Only this one: {OWNER_HELP}", show_default=False)
    ] = None,
) -> None:
    """List the projections (read models) that `rebuild` and `verify` accept.

    Examples: `orderctl projections list`, `orderctl projections list order`.
    """
    catalog = ops(ctx).catalog
    with reported():
        chosen = [parse_owner(service)] if service else [*SERVICES, *ReadSide]
        declared = [(owner, model) for owner in chosen for model in catalog.projections(owner)]
    table = folded_table("service", "projection", "tables", "fed by", "description")
    for owner, model in declared:
        table.add_row(
            owner.value,
            model.name,
            ", ".join(model.tables.tables),
            ", ".join(s.value for s in model.topics),
            model.description,
        )
    if not table.row_count:
        fail("no projections declared" + (f" by the {service} service" if service else ""), 1)
    out().print(table)


def _summary(summary: RebuildSummary, what: str) -> None:
    out().print(
        f"{what}: {summary.events:,} events in {summary.seconds:.1f}s "
        f"({format_rate(summary.events, summary.seconds)})",
        markup=False,
        soft_wrap=True,
    )


def rebuild(
    ctx: typer.Context,
    service: OwnerName,
    projection: ProjectionName = None,
    from_beginning: Annotated[
        bool,
        typer.Option(
            "--from-beginning", help="Replay every retained event of the projection's topics."
        ),
    ] = False,
    since: Annotated[
        str | None,
        typer.Option("--since", help=f"Replay the topics from {TIME_HELP}.", show_default=False),
    ] = None,
    from_position: Annotated[
        int | None,
        typer.Option(
            "--from-position",
            help="Replay the service's event store from this position (1 = all).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Rebuild a read model without downtime, with progress (count, rate, ETA) and a summary.

    The projection is replayed into shadow tables while the live tables keep serving, then
    the shadows are swapped in atomically (events that arrived meanwhile included). Choose
    the source: the service's event store (`--from-position 1`: complete, the source of
    truth; only for projections fed by the service's own events) or the topics
    (`--from-beginning`: what Kafka retains, 30 days; `--since`: from a time).
    A rebuild from a later position or time keeps only what happened since.

    Examples:

    * `orderctl rebuild logistics shipments --from-position 1`

    * `orderctl rebuild order order-read-model --from-beginning`

    * `orderctl rebuild aftersales refund-cases --since 2026-11-20T00:00:00Z`

    * `orderctl rebuild dashboard` : the dashboard keeps no event store, so its one
      projection is replayed from the topics (from the beginning unless `--since`)
    """
    settings, catalog = ops(ctx).settings, ops(ctx).catalog
    with reported():
        owner = parse_owner(service)
    chosen = [from_beginning, since is not None, from_position is not None]
    if not any(chosen) and isinstance(owner, ReadSide):
        from_beginning = True  # its only complete source
    elif sum(chosen) != 1:
        fail("choose exactly one of --from-beginning, --since TIME, --from-position N")
    with reported():
        model = catalog.projection(owner, projection)
        if from_position is not None:
            check_positions(from_position, None)
            check_reads_only_own_events(owner, model.topics)
        start = parse_since(since, datetime.now(UTC)) if since is not None else None
    with progress_bar(err(), f"rebuild {owner.value}/{model.name}") as report:
        if from_position is not None:
            assert isinstance(owner, Service)  # check_reads_only_own_events refused the others
            summary = run(
                rebuild_projection_from_store(
                    settings, owner, model, from_position=from_position, progress=report
                )
            )
        else:
            summary = run(
                rebuild_projection_from_topics(settings, owner, model, since=start, progress=report)
            )
    _summary(summary, f"rebuilt {owner.value}/{model.name}")


def _show_table(differences: TableDifferences, limit: int, unmasked: bool) -> None:
    console = out()
    key = ", ".join(differences.key_columns) or "whole rows (no natural key)"
    left_out = (
        f", {differences.ignored_rows} rows of orders with events after the cut left out"
        if differences.ignored_rows
        else ""
    )
    verdict = "same" if differences.same else "DIFFERENT"
    console.print(
        f"table {differences.table} (key {key}): {differences.compared_rows} rows "
        f"rebuilt{left_out}: {verdict}",
        markup=False,
        soft_wrap=True,
    )
    for kind, rows in (
        ("missing (rebuilt, not live)", differences.missing),
        ("extra (live, not rebuilt)", differences.extra),
    ):
        for row in rows[:limit]:
            console.print(
                f"  {kind}: {describe_row(row, unmasked=unmasked)}", markup=False, soft_wrap=True
            )
    for changed in differences.changed[:limit]:
        columns = "; ".join(
            f"{name}: live={describe_value(name, live, unmasked=unmasked)}"
            f" rebuilt={describe_value(name, rebuilt, unmasked=unmasked)}"
            for name, (live, rebuilt) in changed.columns.items()
        )
        console.print(
            f"  changed {describe_row(changed.key)}: {columns}", markup=False, soft_wrap=True
        )
    hidden = sum(
        max(len(rows) - limit, 0)
        for rows in (differences.missing, differences.extra, differences.changed)
    )
    if hidden:
        console.print(f"  … and {hidden} more (raise --show)", markup=False, soft_wrap=True)


def _show_report(report: VerifyReport, limit: int, unmasked: bool) -> None:
    cut = ", ".join(
        f"{service.value} store up to position {position}"
        for service, position in report.build.cut.items()
    )
    out().print(
        f"verify {report.service.value}/{report.projection}: scratch build of "
        f"{report.build.events:,} events ({cut})",
        markup=False,
        soft_wrap=True,
    )
    for warning in report.warnings:
        err().print(f"warning: {warning}", markup=False, soft_wrap=True)
    for table in report.tables:
        _show_table(table, limit, unmasked)


def verify(
    ctx: typer.Context,
    service: OwnerName,
    projection: ProjectionName = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait", min=0, help="Seconds to wait for the live model to catch up with the cut."
        ),
    ] = 60.0,
    ignore_columns: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore-column",
            help="Leave this column out of the comparison (repeatable).",
            show_default=False,
        ),
    ] = None,
    show: Annotated[
        int, typer.Option("--show", min=1, help="Rows shown per kind of difference and table.")
    ] = 20,
    unmasked: Annotated[
        bool, typer.Option("--unmasked", help="Show personal data in differing rows in full.")
    ] = False,
) -> None:
    """Check a live read model against a fresh rebuild; exit 1 if they differ.

    Rebuilds the projection from the event stores of the services that feed it into scratch
    tables (`<table>__verify`, dropped afterwards, never swapped in) up to the stores' heads
    when it starts (the cut), waits until the relays and the service's subscriptions have
    caught up with the cut, then compares row by row in one snapshot: rows missing from
    the live tables, extra rows, and changed rows with the differing columns. Orders with
    events after the cut are left out on both sides. Generated (identity) columns are not
    compared.

    Examples:

    * `orderctl verify order order-read-model`

    * `orderctl verify logistics shipments --ignore-column updated_at --show 5`

    * `orderctl verify dashboard` : its figures, built from the three services' stores
    """
    settings, catalog = ops(ctx).settings, ops(ctx).catalog
    with reported():
        owner = parse_owner(service)
        model = catalog.projection(owner, projection)
    with progress_bar(err(), f"verify {owner.value}/{model.name}") as report:
        result = run(
            verify_projection(
                settings,
                owner,
                model,
                wait_seconds=wait,
                ignored_columns=ignore_columns or (),
                progress=report,
            )
        )
    _show_report(result, show, unmasked)
    if not result.same:
        rows = sum(len(t.missing) + len(t.extra) + len(t.changed) for t in result.tables)
        typer.echo(
            f"orderctl: the live read model differs from the rebuild ({rows} rows)", err=True
        )
        raise typer.Exit(DIFFERENT)
    out().print("the live read model matches the rebuild")


def republish_events(
    ctx: typer.Context,
    service: ServiceName,
    from_position: Annotated[
        int, typer.Option("--from-position", help="First event store position to send (1 = all).")
    ],
    to_position: Annotated[
        int | None,
        typer.Option(
            "--to-position", help="Last position to send (default: the newest).", show_default=False
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Re-emit stored events to Kafka, e.g. after a topic was lost or truncated.

    Sends the events exactly as the outbox relay does (same CloudEvents encoding, key =
    order id, idempotent producer with acks=all) to the topic each event was stored for.
    Consumers dedupe by stream sequence, so groups that already applied an event skip it.
    Asks for confirmation unless `--yes`; prints the count per topic.

    Examples:

    * `orderctl republish order --from-position 1` : the whole order store

    * `orderctl republish logistics --from-position 5000 --to-position 5200 --yes`
    """
    settings = ops(ctx).settings
    with reported():
        owner = parse_service(service)
        check_positions(from_position, to_position)

    def confirm(plan: RepublishPlan) -> bool:
        topics = ", ".join(f"{topic} ({count:,})" for topic, count in plan.per_topic.items())
        err().print(
            f"{plan.events:,} {owner.value} events at positions {plan.first}..{plan.last}"
            f" → {topics}",
            markup=False,
            soft_wrap=True,
        )
        return yes or typer.confirm("Send them?", default=False, err=True)

    sent = run(
        republish(
            settings, owner, from_position=from_position, to_position=to_position, confirm=confirm
        )
    )
    if sent is None:
        fail("nothing sent", 1)
    _show_sent(sent)


def _show_sent(sent: Counter[str]) -> None:
    table = folded_table("topic", "events sent", title="republished")
    for topic, count in sorted(sent.items()):
        table.add_row(topic, f"{count:,}")
    out().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(projections, name="projections")
    app.command("rebuild")(rebuild)
    app.command("verify")(verify)
    app.command("republish")(republish_events)
