"""Upgrades a service database: eventing's tables, then the service's read models.

    python -m eventing.migrate --database-url postgresql://... [--service order]

A service's migrations live in `<service>_service/migrations/` (an Alembic script directory
whose `env.py` calls `eventing.migrations_env.run_migrations`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config

from eventing.database import sqlalchemy_url

SCRIPT_LOCATION = Path(__file__).parent / "migrations"


def alembic_config(database_url: str, script_location: Path = SCRIPT_LOCATION) -> Config:
    """Alembic configuration for one script directory on one database."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    # ConfigParser interpolation would read a `%` in a password as a placeholder.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    return config


def service_script_location(service: str) -> Path | None:
    """The migrations directory of `<service>_service` (None: the service has no read models)."""
    name = f"{service}_service.migrations"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name == name:
            return None
        raise
    if module.__file__ is None:
        raise ValueError(f"{service}_service.migrations is not a directory package")
    return Path(module.__file__).parent


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate eventing's tables to `revision` (blocking; runs its own event loop)."""
    command.upgrade(alembic_config(database_url), revision)


def upgrade_service(database_url: str, service: str) -> None:
    """Migrate eventing's tables, then `service`'s read models, to their latest revisions."""
    upgrade(database_url)
    location = service_script_location(service)
    if location is not None:
        command.upgrade(alembic_config(database_url, location), "head")


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    """`upgrade` from inside a running event loop (Alembic's env starts its own loop)."""
    await asyncio.to_thread(upgrade, database_url, revision)


async def upgrade_service_async(database_url: str, service: str) -> None:
    """`upgrade_service` from inside a running event loop."""
    await asyncio.to_thread(upgrade_service, database_url, service)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="postgresql:// DSN to migrate")
    parser.add_argument("--revision", default="head", help="eventing revision (default: head)")
    parser.add_argument(
        "--service", help="also migrate this service's read models: order, logistics, aftersales"
    )
    arguments = parser.parse_args(argv)
    if arguments.service:
        upgrade_service(arguments.database_url, arguments.service)
        print(f"eventing and {arguments.service} schemas at head")
    else:
        upgrade(arguments.database_url, arguments.revision)
        print(f"eventing schema at {arguments.revision}")


if __name__ == "__main__":
    main()
