"""`orderctl keys rewrap`: wrap every buyer's data key with the current key-encryption key."""

from __future__ import annotations

import os

import typer

from contracts.sealing import KeyEncryptionKeys, SealingError
from eventing.database import create_engine
from eventing.settings import DEVELOPMENT_PII_KEKS
from order_service.application.data_keys import Custodian
from orderctl.cli_support import fail, ops, out, run

keys = typer.Typer(help="The buyers' data keys (kept by the order service).", no_args_is_help=True)


async def _rewrap(order_db: str, keks: KeyEncryptionKeys) -> int:
    engine = create_engine(order_db, pool_size=1)
    try:
        return await Custodian(engine, keks).rewrap()
    finally:
        await engine.dispose()


@keys.command("rewrap")
def rewrap(ctx: typer.Context) -> None:
    """Wrap every live data key with the current KEK, so the retired ones can be dropped.

    Reads the KEKs from `PII_KEKS`, as the services do (the current one first, the retired
    ones after it); keys already wrapped by the current one are left alone, so it can run
    again at any time. Run it after every service runs with the new `PII_KEKS`
    (docs/operations.md, "Rotating the key-encryption key").

    Example: `PII_KEKS="kek-2:…,kek-1:…" orderctl keys rewrap`.
    """
    try:
        ring = KeyEncryptionKeys.parse(os.environ.get("PII_KEKS", DEVELOPMENT_PII_KEKS))
    except SealingError as error:
        fail(f"PII_KEKS: {error}")
    changed = run(_rewrap(ops(ctx).settings.order_db, ring))
    out().print(f"{changed} data key(s) re-wrapped with KEK {ring.current}")


def register(app: typer.Typer) -> None:
    app.add_typer(keys, name="keys")
