"""`localinfra`: start, stop and inspect the local PostgreSQL + Kafka, and run the whole system.

The demo, token and clock commands import the services' libraries (SQLAlchemy, FastAPI, the
flows) inside their bodies: `localinfra up`, run again after every broker crash, would otherwise
spend seconds importing what it never uses.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from contracts.parties import SERVICES
from contracts.topics import TOPICS
from eventing.topics import connect_admin, ensure_topics
from localinfra.config import InfraSettings, ReadSide
from localinfra.kafka import KafkaError
from localinfra.postgres import PostgresError, ensure_databases
from localinfra.services import (
    ServiceProcess,
    ServiceStartError,
    migrate,
    start_all,
    stop_services,
)
from localinfra.stack import LocalStack

app = typer.Typer(
    help="Local, Docker-free PostgreSQL 18 + Apache Kafka 4 for the order platform.\n\n"
    "Ports and folders come from ORDERS_* environment variables (see README).",
    no_args_is_help=True,
    add_completion=False,
)
# Wide enough for paths and URLs even when the output is piped or captured.
console = Console(width=max(120, shutil.get_terminal_size((120, 24)).columns))
# Errors are one-liners: not wrapped at 80 columns when stderr is a pipe (CI, tests).
err = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(1)


Brokers = Annotated[
    int | None,
    typer.Option(
        "--brokers",
        min=1,
        max=9,
        help="Kafka KRaft nodes (3: a replicated cluster); default ORDERS_KAFKA_BROKERS, "
        "else as many as the infra home holds, 1 for a new one.",
        show_default=False,
    ),
]


Replicas = Annotated[
    int | None,
    typer.Option(
        "--replicas",
        min=1,
        max=9,
        help="Processes per service, each with HTTP and workers (replica r on the service's "
        "port + 10 r); default ORDERS_REPLICAS, else 1.",
        show_default=False,
    ),
]


def _stack(brokers: int | None, replicas: int | None = None) -> LocalStack:
    if brokers is None and replicas is None:
        return LocalStack()
    settings = InfraSettings()
    chosen = settings.model_copy(
        update={
            "kafka_brokers": brokers or settings.kafka_brokers,
            "replicas": replicas or settings.replicas,
        }
    )
    return LocalStack(chosen)


@app.command()
def up(brokers: Brokers = None) -> None:
    """Start PostgreSQL and Kafka if they do not run yet, create databases and topics."""
    stack = _stack(brokers)
    started = time.perf_counter()
    try:
        report = stack.up()
    except (PostgresError, KafkaError) as error:
        _fail(str(error))
        return
    for name in report.already_running:
        console.print(f"{name}: already running")
    for name in report.started:
        console.print(f"{name}: started in {report.seconds[name]:.1f}s")
    if report.databases_created:
        console.print(f"databases created: {', '.join(report.databases_created)}")
    if report.topics_created:
        console.print(f"topics created: {', '.join(report.topics_created)}")
    console.print(f"infrastructure up in {time.perf_counter() - started:.1f}s")
    _print_status(stack)


@app.command()
def provision(
    postgres_admin_dsn: Annotated[
        str,
        typer.Option(
            envvar="ORDERS_POSTGRES_ADMIN_DSN",
            help="DSN of a database to run CREATE DATABASE from.",
        ),
    ],
    kafka_bootstrap_servers: Annotated[
        str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS", help="Kafka bootstrap servers.")
    ],
    brokers: Annotated[
        int,
        typer.Option(
            envvar="ORDERS_KAFKA_BROKERS",
            min=1,
            help="Brokers of that cluster: topics get min(3, brokers) replicas.",
        ),
    ] = 1,
) -> None:
    """Prepare infrastructure you run yourself (Docker, cloud): databases, topics, migrations."""
    created = asyncio.run(ensure_databases(postgres_admin_dsn))
    topics = asyncio.run(ensure_topics(kafka_bootstrap_servers, TOPICS, brokers))
    parts = urlsplit(postgres_admin_dsn)
    for name in (*SERVICES, *ReadSide):
        try:
            migrate(urlunsplit(parts._replace(path=f"/{name}")), name)
        except ServiceStartError as error:
            _fail(str(error))
    console.print(f"databases created: {created or 'none'}; topics created: {topics or 'none'}")
    console.print("migrations applied to: " + ", ".join((*SERVICES, *ReadSide)))


@app.command()
def down() -> None:
    """Stop Kafka (controlled shutdown) and PostgreSQL (fast shutdown). Data is kept."""
    stopped = LocalStack().down()
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def status() -> None:
    """What runs, on which ports, where its data and logs are, and whether it answers."""
    _print_status(LocalStack())


def _print_status(stack: LocalStack) -> None:
    settings = stack.settings
    pg, brokers = stack.postgres.status(), stack.kafka.statuses()
    kafka_running = any(broker.running for broker in brokers)
    health = asyncio.run(_probe(settings, pg.running, kafka_running))
    table = Table(title=f"infra home {settings.infra_home}")
    for column in ("component", "state", "pid", "address", "health"):
        table.add_column(column, overflow="fold")
    table.add_row(
        "postgres 18", _state(pg.running), str(pg.pid or "-"),
        f"{settings.host}:{pg.port}", health["postgres"],
    )  # fmt: skip
    version = stack.kafka.version
    for node, kafka in enumerate(brokers, start=1):
        name = f"kafka {version}" if len(brokers) == 1 else f"kafka {version} broker {node}"
        table.add_row(
            name, _state(kafka.running), str(kafka.pid or "-"),
            f"{settings.host}:{kafka.port}", health["kafka"] if kafka.running else "-",
        )  # fmt: skip
    for name, replica in _processes(settings):
        address = f"http://{settings.host}:{settings.service_port(name, replica)}"
        label = f"{name} service" + (f" replica {replica}" if settings.replicas > 1 else "")
        table.add_row(label, "", "", address, health[f"{name}/{replica}"])
    console.print(table)
    console.print(f"postgres data {pg.data_dir}  log {pg.log_file}")
    for kafka in brokers:
        console.print(f"kafka    data {kafka.data_dir}  log {kafka.log_file}")
    console.print(f"services logs {settings.logs_dir}/<service>.log")


def _state(running: bool) -> str:
    return "[green]running[/green]" if running else "[dim]stopped[/dim]"


async def _probe(settings: InfraSettings, pg_running: bool, kafka_running: bool) -> dict[str, str]:
    health: dict[str, str] = {}
    health["postgres"] = "-"
    if pg_running:
        try:
            connection = await asyncpg.connect(settings.postgres_dsn(), timeout=3)
            try:
                databases = await connection.fetchval(
                    "SELECT count(*) FROM pg_database WHERE datname = ANY($1::text[])",
                    [service.value for service in SERVICES],
                )
            finally:
                await connection.close()
            health["postgres"] = f"[green]ok[/green] ({databases}/{len(SERVICES)} service dbs)"
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            health["postgres"] = f"[red]{type(error).__name__}[/red]"
    health["kafka"] = "-"
    if kafka_running:
        try:
            admin = await connect_admin(settings.kafka_bootstrap, timeout=5)
            try:
                topics = [t for t in await admin.list_topics() if not t.startswith("__")]
            finally:
                await admin.close()
            health["kafka"] = f"[green]ok[/green] ({len(topics)} topics)"
        except Exception as error:
            health["kafka"] = f"[red]{type(error).__name__}[/red]"
    async with httpx.AsyncClient(timeout=2) as client:
        for name, replica in _processes(settings):
            url = f"http://{settings.host}:{settings.service_port(name, replica)}/ready"
            key = f"{name}/{replica}"
            try:
                answer = await client.get(url)
                health[key] = "[green]ready[/green]" if answer.status_code == 200 else "not ready"
            except httpx.HTTPError:
                health[key] = "-"
    return health


def _processes(settings: InfraSettings) -> list[tuple[str, int]]:
    """(service, replica) of every process `run` starts with these settings."""
    return [(name, 0) for name in (*SERVICES, *ReadSide)] + [
        (name, replica) for replica in range(1, settings.replicas) for name in SERVICES
    ]


@app.command()
def run(
    keep_infra: Annotated[
        bool, typer.Option(help="Leave PostgreSQL and Kafka running after Ctrl-C.")
    ] = False,
    brokers: Brokers = None,
    replicas: Replicas = None,
) -> None:
    """Bring up the infrastructure, migrate, start the three services; Ctrl-C stops everything."""
    stack = _stack(brokers, replicas)
    stopping = False

    def request_stop(signum: int, _: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        report = stack.up()
    except (PostgresError, KafkaError) as error:
        _fail(str(error))
        return
    services: list[ServiceProcess] = []
    try:
        for name in (*SERVICES, *ReadSide):
            migrate(stack.settings.postgres_dsn(name), name)
        migrate(stack.settings.clock_dsn(), None)
        services = start_all(stack.settings)
        _print_urls(services, stack)
        while not stopping:
            for service in services:
                if service.process.poll() is not None:
                    raise ServiceStartError(
                        f"{service.service.value} exited with {service.process.returncode}; "
                        f"see {service.log_file}"
                    )
            time.sleep(0.3)
        console.print("stopping services…")
    except ServiceStartError as error:
        # The message may end with a service's log, which is not markup.
        err.print(f"[red]error:[/red] {escape(str(error))}")
    finally:
        stop_services(services)
        if not keep_infra and report.started:
            console.print(f"stopping {', '.join(reversed(report.started))}…")
            stack.down()
        console.print("stopped")


def _print_urls(services: list[ServiceProcess], stack: LocalStack) -> None:
    settings = stack.settings
    table = Table(title="order platform is running — Ctrl-C stops it")
    columns = ("service", "replica", "API", "OpenAPI docs", "log")
    for column in columns if settings.replicas > 1 else (c for c in columns if c != "replica"):
        table.add_column(column)
    for service in services:
        # A read side's address is its page; the services' are their APIs.
        api = f"{service.url}/" if isinstance(service.service, ReadSide) else service.url
        replica = (str(service.replica),) if settings.replicas > 1 else ()
        table.add_row(
            service.service.value, *replica, api, f"{service.url}/docs", str(service.log_file)
        )
    console.print(table)
    if settings.replicas > 1:
        console.print(
            f"{settings.replicas} replicas of each service on one database and one consumer "
            "group: one relay leads per service, the group shares the partitions"
        )
    console.print(
        f"PostgreSQL {settings.postgres_dsn('<service>')}   Kafka {settings.kafka_bootstrap}   "
        f"logs {settings.logs_dir}"
    )
    console.print(
        f"Dashboard (signed in as the platform for 12 h): {_dashboard_link(settings)}",
        markup=False,
        soft_wrap=True,
    )
    console.print(
        "Tokens for the APIs (paste into /docs → Authorize): "
        "[bold].venv/bin/localinfra token buyer b-1[/bold], "
        "[bold]… token seller clerk-1 --shop shop-1[/bold], [bold]… token platform judge-1[/bold]"
    )


def _dashboard_link(settings: InfraSettings) -> str:
    """The dashboard page with a platform token in the URL fragment (never sent to a server;
    the page keeps it and removes it from the address bar)."""
    from eventing.http.auth import Role, TokenIssuer
    from eventing.settings import DEVELOPMENT_AUTH_SECRET

    secret = os.environ.get("AUTH_SECRET", DEVELOPMENT_AUTH_SECRET)
    issued = TokenIssuer(secret).issue(Role.PLATFORM, "dashboard-viewer", ttl=timedelta(hours=12))
    port = settings.service_port(ReadSide.DASHBOARD)
    return f"http://{settings.host}:{port}/#token={issued}"


@app.command()
def token(
    role: Annotated[str, typer.Argument(help="buyer, seller, platform, ops or system")],
    subject: Annotated[str, typer.Argument(help="Who: a buyer id, a clerk id, an operator …")],
    shop: Annotated[
        str | None, typer.Option("--shop", help="The seller's shop (required for sellers).")
    ] = None,
    hours: Annotated[int, typer.Option(help="Validity in hours.", min=1, max=24 * 30)] = 12,
) -> None:
    """Print a bearer token for calling the APIs (signed with AUTH_SECRET, or the dev key).

    Example: curl -H "Authorization: Bearer $(localinfra token buyer b-1)" localhost:8100/v1/orders
    """
    from eventing.http.auth import Role, TokenIssuer
    from eventing.settings import DEVELOPMENT_AUTH_SECRET

    try:
        chosen = Role(role)
    except ValueError:
        _fail(f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}")
        return
    if chosen is Role.SELLER and not shop:
        _fail("a seller's token needs --shop SHOP_ID")
    secret = os.environ.get("AUTH_SECRET", DEVELOPMENT_AUTH_SECRET)
    issued = TokenIssuer(secret).issue(chosen, subject, shop, ttl=timedelta(hours=hours))
    print(issued)


@app.command()
def demo() -> None:
    """Drive a realistic mix of orders through the APIs of the system `make run` started.

    One new shop; orders completed and rated, shipped, awaiting shipment, cancelled, refunded
    in full and in part, returned, disputed and ruled, paid twice, reshipped after a lost parcel,
    and one closed by the payment time-out (the system's clock moves 73 h forward, for every
    service at once; `localinfra clock reset` brings it back, as the demo says when it ends).
    """
    from eventing.http.auth import TokenIssuer
    from eventing.settings import DEVELOPMENT_AUTH_SECRET
    from eventing.testing.waiting import ConditionNotMet
    from localinfra.demo import STORIES, DemoError
    from localinfra.demo import run as run_demo_sync
    from localinfra.flows import ServiceUrls, UnexpectedAnswer

    settings = InfraSettings()
    urls = ServiceUrls(*(f"http://{settings.host}:{settings.service_port(s)}" for s in SERVICES))
    tokens = TokenIssuer(os.environ.get("AUTH_SECRET", DEVELOPMENT_AUTH_SECRET))
    console.print(f"driving {len(STORIES) + 1} orders through {urls.order}, … (about a minute)")
    try:
        outcome = run_demo_sync(urls, tokens, settings.clock_dsn())
    except (DemoError, UnexpectedAnswer, ConditionNotMet) as error:
        _fail(str(error).splitlines()[0])
        return
    table = Table(title=f"demo orders of shop {outcome.shop_id}")
    table.add_column("order")
    table.add_column("story")
    for order_id, story in outcome.orders.items():
        table.add_row(order_id, story)
    console.print(table)
    first = next(iter(outcome.orders))
    console.print(
        f"Where to look:\n"
        f"  API docs        {urls.order}/docs  {urls.logistics}/docs  {urls.aftersales}/docs\n"
        f"  a token         .venv/bin/localinfra token platform ops-1\n"
        f"  one order       .venv/bin/orderctl events show {first}\n"
        f"  the topics      .venv/bin/orderctl events tail order --from-beginning --max 20\n"
        f"  health          .venv/bin/orderctl lag; .venv/bin/orderctl outbox status\n"
        f"  shop figures    GET {urls.logistics}/v1/stats/shops/{outcome.shop_id}, "
        f"GET {urls.aftersales}/v1/stats/shops/{outcome.shop_id}\n"
        f"The system's clock is now 73 h ahead (`localinfra clock show`); "
        f"`localinfra clock reset` brings it back to wall time."
    )


clock_app = typer.Typer(
    help="Move the system's clock (CLOCK=database, the `make run` default): one offset in the "
    "clock database that every service reads, so time moves for all of them at once; deadlines "
    "such as unpaid auto-close, auto-confirm and refund time-outs fire when it passes.",
    no_args_is_help=True,
)
app.add_typer(clock_app, name="clock")


@clock_app.command("show")
def clock_show() -> None:
    """Show the system's clock: its offset from wall time and the time it reads."""
    offset = asyncio.run(_clock_offset(None))
    console.print(
        f"system clock offset {offset} (now {datetime.now(UTC) + offset:%Y-%m-%dT%H:%M:%SZ})"
    )


@clock_app.command("advance")
def clock_advance(
    by: Annotated[str, typer.Argument(help="ISO 8601 duration (PT73H, P10D) or seconds.")],
) -> None:
    """Move the whole system's time forward, e.g. `localinfra clock advance PT73H`."""
    from pydantic import TypeAdapter, ValidationError

    try:
        step = TypeAdapter(timedelta).validate_python(int(by) if by.isdigit() else by)
    except ValidationError:
        _fail(f"{by!r} is not a duration: use ISO 8601 such as PT73H or P10D, or seconds")
        return
    if step <= timedelta(0):
        _fail("time only moves forward: give a positive duration")
    offset = asyncio.run(_clock_offset(step))
    console.print(f"system clock offset now {offset}")


@clock_app.command("reset")
def clock_reset() -> None:
    """Back to wall time (offset zero)."""
    asyncio.run(_clock_offset(None, reset=True))
    console.print("system clock reset to wall time")


async def _clock_offset(step: timedelta | None, *, reset: bool = False) -> timedelta:
    """Read, move or reset the one clock every local service reads (the clock database)."""
    from sqlalchemy.exc import DBAPIError

    from eventing.clock import advance_clock, read_clock_offset, set_clock_offset
    from eventing.database import create_engine

    # CLOCK_DATABASE_URL, as the services read it, names another system's clock.
    dsn = os.environ.get("CLOCK_DATABASE_URL") or InfraSettings().clock_dsn()
    engine = create_engine(dsn, pool_size=1, max_overflow=0)
    try:
        if reset:
            await set_clock_offset(engine, timedelta(0))
        return await advance_clock(engine, step) if step else await read_clock_offset(engine)
    except (OSError, DBAPIError) as error:
        _fail(f"cannot reach the clock database at {dsn}: {error}")
        raise
    finally:
        await engine.dispose()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
