"""orderctl's entry point: global options, `config`, and the command groups."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import ValidationError

from orderctl import cli_audit, cli_dlq, cli_events, cli_keys, cli_repair, cli_status
from orderctl.catalog import Catalog
from orderctl.cli_support import Ops, fail, folded_table, ops, out, quiet_libraries
from orderctl.settings import OrderctlSettings

ROOT_HELP = """
Operate the order-lifecycle platform: history, topics, rebuild, verify, republish, dead
letters, lag and outbox.

Every command reads the three service databases and/or Kafka. Defaults point at `make run`
(PostgreSQL 127.0.0.1:55432, databases order/logistics/aftersales and the dashboard's;
Kafka 127.0.0.1:59092); override with `ORDERCTL_ORDER_DB`, `ORDERCTL_LOGISTICS_DB`,
`ORDERCTL_AFTERSALES_DB`, `ORDERCTL_DASHBOARD_DB`,
`ORDERCTL_BOOTSTRAP`, `ORDERCTL_<SERVICE>_TOPIC`, `ORDERCTL_GROUP_PREFIX` (the services'
consumer group prefix) or the options below.
`orderctl config` shows what is in effect.

Exit codes: 0 done, 1 nothing found or differences found, 2 error (one line on stderr).

First steps: `orderctl outbox status`, `orderctl lag`, `orderctl dlq list`,
`orderctl events show ORDER_ID`; who saw a buyer's personal data: `orderctl audit --buyer ID`.
"""


def build_app(catalog: Catalog | None = None) -> typer.Typer:
    """The CLI; tests pass a catalog with their own projections and handlers."""
    services = catalog or Catalog()
    app = typer.Typer(
        name="orderctl",
        help=ROOT_HELP,
        no_args_is_help=True,
        rich_markup_mode="markdown",
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def root(
        ctx: typer.Context,
        order_db: Annotated[
            str | None, typer.Option("--order-db", help="Order database DSN.", show_default=False)
        ] = None,
        logistics_db: Annotated[
            str | None,
            typer.Option("--logistics-db", help="Logistics database DSN.", show_default=False),
        ] = None,
        aftersales_db: Annotated[
            str | None,
            typer.Option("--aftersales-db", help="Aftersales database DSN.", show_default=False),
        ] = None,
        dashboard_db: Annotated[
            str | None,
            typer.Option("--dashboard-db", help="Dashboard database DSN.", show_default=False),
        ] = None,
        bootstrap: Annotated[
            str | None,
            typer.Option(
                "--bootstrap", help="Kafka bootstrap servers, host:port.", show_default=False
            ),
        ] = None,
        order_topic: Annotated[str | None, typer.Option("--order-topic", hidden=True)] = None,
        logistics_topic: Annotated[
            str | None, typer.Option("--logistics-topic", hidden=True)
        ] = None,
        aftersales_topic: Annotated[
            str | None, typer.Option("--aftersales-topic", hidden=True)
        ] = None,
    ) -> None:
        given = {
            "order_db": order_db,
            "logistics_db": logistics_db,
            "aftersales_db": aftersales_db,
            "dashboard_db": dashboard_db,
            "bootstrap": bootstrap,
            "order_topic": order_topic,
            "logistics_topic": logistics_topic,
            "aftersales_topic": aftersales_topic,
        }
        try:
            overrides: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
            settings = OrderctlSettings(**overrides)
        except ValidationError as error:
            problem = error.errors()[0]
            fail(f"bad configuration {'.'.join(map(str, problem['loc']))}: {problem['msg']}")
        quiet_libraries()
        ctx.obj = Ops(settings, services)

    @app.command("config")
    def show_config(ctx: typer.Context) -> None:
        """Show the effective configuration (passwords hidden).

        Example: `orderctl config`, or `ORDERCTL_BOOTSTRAP=kafka:9092 orderctl config`.
        """
        table = folded_table("setting", "value", "environment variable")
        for name, value in ops(ctx).settings.shown().items():
            table.add_row(name, value, f"ORDERCTL_{name.upper()}")
        out().print(table)

    cli_events.register(app)
    cli_repair.register(app)
    cli_dlq.register(app)
    cli_status.register(app)
    cli_audit.register(app)
    cli_keys.register(app)
    return app


app = build_app()


def main() -> None:
    app()
