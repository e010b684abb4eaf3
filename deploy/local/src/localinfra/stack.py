"""The local infrastructure as one unit: bring up, tear down and inspect PostgreSQL + Kafka."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from contracts.topics import TOPICS
from eventing.topics import ensure_topics
from localinfra.config import CLOCK_DATABASE, InfraSettings
from localinfra.kafka import KafkaError
from localinfra.kafka_cluster import LocalKafka
from localinfra.postgres import DATABASES, LocalPostgres, PostgresError, ensure_databases

T = TypeVar("T")


@dataclass
class UpReport:
    """What `up` found running and what it started or created."""

    started: list[str] = field(default_factory=list)
    already_running: list[str] = field(default_factory=list)
    databases_created: list[str] = field(default_factory=list)
    topics_created: list[str] = field(default_factory=list)
    # Seconds per step ("postgres", "databases", "kafka", "topics"): where a slow `up` went.
    seconds: dict[str, float] = field(default_factory=dict)

    def timed(self, step: str, work: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return work()
        finally:
            self.seconds[step] = time.perf_counter() - started


class LocalStack:
    """PostgreSQL and Kafka of one infra home (one for `make run`, another for `make test`)."""

    def __init__(self, settings: InfraSettings | None = None) -> None:
        settings = settings or InfraSettings()
        self.kafka = LocalKafka(settings)
        # As many brokers as the home holds, so the bootstrap string names every one of them.
        self.settings = settings.model_copy(update={"kafka_brokers": self.kafka.brokers})
        self.postgres = LocalPostgres(self.settings)

    def up(
        self, databases: tuple[str, ...] = (*DATABASES, CLOCK_DATABASE), topics: bool = True
    ) -> UpReport:
        report = UpReport()
        self.settings.logs_dir.mkdir(parents=True, exist_ok=True)
        try:
            started = report.timed("postgres", self._start_postgres)
            (report.started if started else report.already_running).append("postgres")
            report.databases_created = report.timed(
                "databases",
                lambda: asyncio.run(ensure_databases(self.settings.postgres_dsn(), databases)),
            )
            started = report.timed("kafka", self.kafka.start)
            (report.started if started else report.already_running).append("kafka")
            if topics:
                report.topics_created = report.timed(
                    "topics",
                    lambda: asyncio.run(
                        ensure_topics(self.settings.kafka_bootstrap, TOPICS, self.kafka.brokers)
                    ),
                )
        except BaseException as error:
            self._stop_started(report, error)
            raise
        return report

    def _stop_started(self, report: UpReport, error: BaseException) -> None:
        """After a failed `up`, stop what it started, never what already ran: a broker that
        cannot start must not leave behind a server nobody will stop."""
        stops: dict[str, Callable[[], bool]] = {
            "kafka": self.kafka.stop,
            "postgres": self.postgres.stop,
        }
        for name in reversed(report.started):
            try:
                stops[name]()
            except (PostgresError, KafkaError) as failed:
                error.add_note(f"stopping {name} failed too: {failed}")

    def _start_postgres(self) -> bool:
        started = self.postgres.start()
        self.postgres.wait_ready()
        return started

    def down(self) -> list[str]:
        """Stop Kafka, then PostgreSQL; returns what was running and is now stopped."""
        stopped = []
        if self.kafka.stop():
            stopped.append("kafka")
        if self.postgres.stop():
            stopped.append("postgres")
        return stopped
