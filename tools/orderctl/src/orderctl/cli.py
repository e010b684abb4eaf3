"""orderctl's entry point (commands are added module by module)."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="orderctl",
    help="Operate the order-lifecycle platform: history, replay, repair.",
    no_args_is_help=True,
)


@app.callback()
def _root() -> None:
    """Operate the order-lifecycle platform: history, replay, repair."""


def main() -> None:
    app()
