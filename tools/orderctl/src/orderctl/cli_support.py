"""What every orderctl command shares: its context, running async work, one-line errors."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import structlog
import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Column, Table
from sqlalchemy.exc import DBAPIError

from orderctl.catalog import Catalog
from orderctl.errors import FAILED, OrderctlError
from orderctl.settings import OrderctlSettings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Ops:
    """The effective settings and the services' catalog of one invocation."""

    settings: OrderctlSettings
    catalog: Catalog


def ops(ctx: typer.Context) -> Ops:
    found = ctx.find_object(Ops)
    if found is None:  # only when a command is invoked without the root callback
        raise RuntimeError("orderctl commands run under the root app")
    return found


def out() -> Console:
    """Standard output (tables, lines, JSON); wide enough for tables in a pipe."""
    width = int(os.environ.get("COLUMNS", "0") or 0) or None
    return Console(
        file=sys.stdout,
        width=width or (None if sys.stdout.isatty() else 160),
        highlight=False,
        soft_wrap=False,
    )


def folded_table(*headers: str, title: str | None = None) -> Table:
    """A table whose cells wrap instead of being cut (topic and group names are long)."""
    return Table(*(Column(header, overflow="fold") for header in headers), title=title)


def err() -> Console:
    return Console(file=sys.stderr, highlight=False)


def fail(message: str, code: int = FAILED) -> NoReturn:
    """Print `orderctl: <message>` on stderr and exit with `code`."""
    typer.echo(f"orderctl: {message}", err=True)
    raise typer.Exit(code)


def quiet_libraries() -> None:
    """Library logs would interleave with the output; orderctl reports failures itself."""
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


@contextmanager
def reported() -> Iterator[None]:
    """Operator errors raised inside become one line on stderr and their exit code."""
    try:
        yield
    except OrderctlError as error:
        fail(str(error), error.exit_code)


def run(work: Coroutine[Any, Any, T], *, interruptible: bool = False) -> T:
    """Run the command's async work; errors become one line on stderr and an exit code.

    Ctrl-C cancels the work (its cleanup runs) and exits 130, or is re-raised to a command
    for which it is the normal way to stop (`interruptible`).
    """
    try:
        with reported():
            return asyncio.run(work)
    except DBAPIError as error:
        fail(f"database error: {_first_line(error.orig or error)}")
    except KafkaError as error:
        fail(f"Kafka error: {_first_line(error)}")
    except KeyboardInterrupt:
        if interruptible:
            raise
        fail("interrupted", 130)
