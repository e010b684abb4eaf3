"""A real Apache Kafka node (KRaft, broker and controller in one JVM) run from the official jars
on Maven Central; `localinfra.kafka_cluster` runs one or several of them as the local cluster."""

from __future__ import annotations

import base64
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil

from localinfra.config import KAFKA_DIR, InfraSettings, kafka_version


class KafkaError(RuntimeError):
    """The local Kafka broker could not be provisioned, started or stopped."""


@dataclass(frozen=True, slots=True)
class KafkaStatus:
    running: bool
    pid: int | None
    port: int
    controller_port: int
    data_dir: Path
    log_file: Path
    version: str


class KafkaNode:
    """Resolves the broker jars once, formats storage on first start, starts and stops the JVM.

    Node 1 keeps the single broker's folders (kafka/, logs/kafka.log) so a home made before
    clusters existed still starts; node i of a cluster lives in kafka/node-i and logs/kafka-i.
    """

    def __init__(self, settings: InfraSettings, node_id: int = 1, brokers: int = 1) -> None:
        self.settings = settings
        self.node_id = node_id
        self.brokers = brokers
        self.port, self.controller_port = settings.kafka_node_ports(node_id)
        self.version = kafka_version()
        self.libs_dir = settings.cache_dir / "kafka" / self.version / "libs"
        first = node_id == 1
        self.home = settings.kafka_home if first else settings.kafka_home / f"node-{node_id}"
        self.logs_dir = settings.logs_dir if first else settings.logs_dir / f"kafka-{node_id}"
        self.data_dir = self.home / "data"
        self.config_file = self.home / "server.properties"
        self.pid_file = self.home / "kafka.pid"
        self.log_file = self.logs_dir / "kafka.log"
        self.stdout_file = self.logs_dir / "kafka.stdout.log"

    # -- provisioning -------------------------------------------------------------------------

    def ensure_jars(self) -> None:
        """Copy the pinned broker jars from Maven Central into the cache (once per version)."""
        marker = self.libs_dir / ".complete"
        if marker.is_file():
            return
        if shutil.which("mvn") is None or shutil.which("java") is None:
            raise KafkaError("Java 17+ and Maven are needed to fetch Kafka (or use Docker)")
        staging = self.libs_dir.with_name("libs.partial")
        shutil.rmtree(staging, ignore_errors=True)
        result = subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(KAFKA_DIR / "pom.xml"),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={staging}",
                "-DincludeScope=runtime",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise KafkaError(
                f"mvn could not resolve Kafka {self.version}:\n{result.stdout[-4000:]}"
            )
        (staging / ".complete").write_text(self.version)
        shutil.rmtree(self.libs_dir, ignore_errors=True)
        staging.rename(self.libs_dir)

    def _write_config(self) -> None:
        s = self.settings
        # A static quorum: every node is a voter, all named in every node's configuration.
        voters = ",".join(
            f"{node}@{s.host}:{s.kafka_node_ports(node)[1]}" for node in range(1, self.brokers + 1)
        )
        # Three copies where there are three nodes, and acks=all writes refused unless two
        # hold them: one node may fail without losing an acknowledged record or availability.
        replicas, min_isr = str(min(3, self.brokers)), "2" if self.brokers >= 3 else "1"
        properties = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://{s.host}:{self.port},CONTROLLER://{s.host}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{s.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            # Topics are created explicitly from the contracts topic catalog, never by accident.
            "auto.create.topics.enable": "false",
            "num.partitions": "1",
            "default.replication.factor": replicas,
            "offsets.topic.replication.factor": replicas,
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": min_isr,
            "transaction.state.log.num.partitions": "10",
            "share.coordinator.state.topic.replication.factor": replicas,
            "share.coordinator.state.topic.min.isr": min_isr,
            "group.initial.rebalance.delay.ms": "0",
            "min.insync.replicas": min_isr,
            # A broker that was killed is still registered when it comes back; the controller
            # refuses the new registration until the old session times out (9 s by default,
            # counted from the controller's own start): that wait was half of a restart.
            "broker.heartbeat.interval.ms": "500",
            "broker.session.timeout.ms": "2000",
            # A restart replays the metadata log since the last snapshot; Kafka takes one an hour
            # (or per 20 MB), and the topics test runs create and delete made that seconds long.
            "metadata.log.max.snapshot.interval.ms": "60000",
        }
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))

    def _java(self, main_class: str, *args: str, jvm: tuple[str, ...] = ()) -> list[str]:
        return [
            "java",
            *jvm,
            f"-Dkafka.logs.dir={self.logs_dir}",
            f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.properties'}",
            "-cp",
            f"{self.libs_dir}/*",
            main_class,
            *args,
        ]

    def _class_sharing(self) -> tuple[str, ...]:
        """JVM options for an archive of the broker's loaded classes (AppCDS): the first broker
        writes it when it stops cleanly, later ones map it and start seconds sooner. New jars or
        a new JDK make it stale; it is then written again (an unusable one is ignored). Only
        node 1 writes it: the other nodes of a cluster map it once it exists."""
        archive = self.settings.kafka_home / f"classes-{self.version}.jsa"
        java = shutil.which("java")
        inputs = [self.libs_dir / ".complete", *([Path(java).resolve()] if java else [])]
        quiet = "-Xlog:cds*=error,cds+dynamic*=error"  # skipped classes are no news
        if archive.is_file() and all(archive.stat().st_mtime >= p.stat().st_mtime for p in inputs):
            return (f"-XX:SharedArchiveFile={archive}", quiet)
        if self.node_id != 1:
            return ()
        archive.unlink(missing_ok=True)
        return (f"-XX:ArchiveClassesAtExit={archive}", quiet)

    def _format_storage(self, cluster_id: str) -> None:
        if (self.data_dir / "meta.properties").is_file():
            return
        result = subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(self.config_file),
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise KafkaError(f"formatting Kafka storage failed: {result.stdout}{result.stderr}")

    # -- lifecycle ----------------------------------------------------------------------------

    def _process(self) -> psutil.Process | None:
        try:
            pid = int(self.pid_file.read_text().strip())
            process = psutil.Process(pid)
            if process.status() == psutil.STATUS_ZOMBIE:
                return None
            # A recycled pid must not be mistaken for our broker.
            if str(self.config_file) not in process.cmdline():
                return None
            return process
        except (FileNotFoundError, ValueError, psutil.Error):
            return None

    def status(self) -> KafkaStatus:
        process = self._process()
        return KafkaStatus(
            running=process is not None,
            pid=process.pid if process else None,
            port=self.port,
            controller_port=self.controller_port,
            data_dir=self.data_dir,
            log_file=self.log_file,
            version=self.version,
        )

    def start(self, timeout: float = 90.0, cluster_id: str | None = None) -> bool:
        """Start the broker if it does not run; returns False when it already did."""
        process = self.launch(cluster_id or _cluster_id())
        if process is None:
            return False
        try:
            self.wait_ready(timeout, process)
        except KafkaError:
            self.stop()  # a broker that never listened must not linger on its data dir
            raise
        return True

    def launch(self, cluster_id: str) -> subprocess.Popen[bytes] | None:
        """Start the JVM without waiting for it (a cluster's nodes start together: none is
        ready before a majority of the quorum runs); None when it already runs. `cluster_id`
        is used only when the storage is formatted, on the first start."""
        if self._process() is not None:
            return None
        self.ensure_jars()
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self._write_config()
        self._format_storage(cluster_id)
        offset = f" + {2 * (self.node_id - 1)}" if self.node_id > 1 else ""
        for variable, port in (
            (f"ORDERS_KAFKA_PORT{offset}", self.port),
            (f"ORDERS_KAFKA_CONTROLLER_PORT{offset}", self.controller_port),
        ):
            if _port_open(self.settings.host, port):
                raise KafkaError(
                    f"port {port} for Kafka ({variable}) is already in use by another process"
                )
        heap = self.settings.kafka_heap
        command = self._java(
            "kafka.Kafka",
            str(self.config_file),
            jvm=(
                f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                *self._class_sharing(),
            ),
        )  # fmt: skip
        with self.stdout_file.open("ab") as out:
            # Own session: Ctrl-C in the launching terminal must not reach the JVM directly;
            # the launcher stops it in order, after the services.
            process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.pid_file.write_text(str(process.pid))
        return process

    def wait_ready(
        self, timeout: float = 90.0, process: subprocess.Popen[bytes] | None = None
    ) -> None:
        deadline = time.monotonic() + timeout
        while not _port_open(self.settings.host, self.port):
            if process is not None and process.poll() is not None:
                raise KafkaError(f"Kafka exited with {process.returncode}; see {self.log_file}")
            if time.monotonic() > deadline:
                raise KafkaError(f"Kafka not listening on {self.port}; see {self.log_file}")
            time.sleep(0.2)

    def stop(self, timeout: float = 60.0) -> bool:
        """Controlled shutdown (SIGTERM), escalating to SIGKILL; returns False if not running."""
        process = self.terminate()
        if process is None:
            return False
        self.wait_stopped(process, timeout)
        return True

    def terminate(self) -> psutil.Process | None:
        """Begin a controlled shutdown (SIGTERM) without waiting; None if it does not run. A
        cluster's nodes are told together: one stopped after the others would find no quorum
        to hand its partitions to and wait out the timeout."""
        process = self._process()
        if process is None:
            self.pid_file.unlink(missing_ok=True)
            return None
        self.resume()  # a paused JVM would hold the SIGTERM until the timeout
        process.send_signal(signal.SIGTERM)
        return process

    def wait_stopped(self, process: psutil.Process, timeout: float = 60.0) -> None:
        """Wait for a terminated JVM to exit, killing it (SIGKILL) after `timeout`."""
        try:
            process.wait(timeout)
        except psutil.TimeoutExpired:
            process.kill()
            process.wait(10)
        self.pid_file.unlink(missing_ok=True)

    def pause(self) -> bool:
        """Freeze the broker (SIGSTOP), as a stalled host or a long GC pause looks to clients:
        its sockets stay open and nothing answers. Returns False if it does not run."""
        process = self._process()
        if process is None:
            return False
        process.suspend()
        return True

    def resume(self) -> bool:
        """Let a paused broker go on (SIGCONT); returns False if it was not paused."""
        process = self._process()
        if process is None or process.status() != psutil.STATUS_STOPPED:
            return False
        process.resume()
        return True

    def kill(self) -> bool:
        """Crash the broker (SIGKILL), as a fault test wants it."""
        process = self._process()
        if process is None:
            return False
        process.kill()
        process.wait(10)
        self.pid_file.unlink(missing_ok=True)
        return True


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def _cluster_id() -> str:
    """A random KRaft cluster id as Kafka's own `Uuid.randomUuid()` makes it: URL-safe base64 of
    16 random bytes that never starts with "-" (the storage tool would read such an id as an
    option and fail, one start in 64)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
