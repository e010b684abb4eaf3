"""The local Kafka: one KRaft node (the default) or a cluster of several from the same jars.

Each node is broker and controller at once; together they form a static quorum of voters. The
number of nodes a home was formatted with is written next to it, so `localinfra down` or
`status` after `localinfra up --brokers 3` find all three without being told again.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError as ClientError

from localinfra.config import InfraSettings
from localinfra.kafka import KafkaError, KafkaNode, KafkaStatus, _cluster_id


class LocalKafka:
    """All nodes of one infra home. Without `broker`, an operation acts on every node (a
    single broker's API is unchanged); `broker=i` (1-based) addresses node i alone, as fault
    tests want it."""

    def __init__(self, settings: InfraSettings) -> None:
        self.settings = settings
        self.layout_file = settings.kafka_home / "cluster.properties"
        self.recorded = self._recorded_layout()
        self.brokers = settings.kafka_brokers or (self.recorded[0] if self.recorded else 1)
        self.nodes = [KafkaNode(settings, node, self.brokers) for node in self._node_ids()]
        first = self.nodes[0]
        self.version, self.data_dir, self.log_file = first.version, first.data_dir, first.log_file

    def _node_ids(self) -> range:
        return range(1, self.brokers + 1)

    def _recorded_layout(self) -> tuple[int, str] | None:
        """(nodes, cluster id) this home was formatted with; a single broker's home formatted
        before clusters existed records nothing and has one node."""
        try:
            fields = dict(
                line.split("=", 1) for line in self.layout_file.read_text().splitlines() if line
            )
            return int(fields["brokers"]), fields["cluster.id"]
        except (FileNotFoundError, KeyError, ValueError):
            if (self.settings.kafka_home / "data" / "meta.properties").is_file():
                return 1, ""
            return None

    def node(self, broker: int) -> KafkaNode:
        if broker not in self._node_ids():
            raise KafkaError(f"no broker {broker}: this cluster has brokers 1 to {self.brokers}")
        return self.nodes[broker - 1]

    def _chosen(self, broker: int | None) -> list[KafkaNode]:
        return self.nodes if broker is None else [self.node(broker)]

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self, timeout: float = 90.0, broker: int | None = None) -> bool:
        """Start the nodes that do not run (or node `broker`); False when all already ran.

        A new cluster is ready when every node is registered with the controller: topics with
        three replicas cannot be created before."""
        if broker is not None:
            self.node(broker)  # refuses a broker the cluster does not have
        if self.recorded is not None and self.recorded[0] != self.brokers:
            raise KafkaError(
                f"{self.settings.kafka_home} holds a {self.recorded[0]}-broker Kafka, not "
                f"{self.brokers} (ORDERS_KAFKA_BROKERS): use another ORDERS_INFRA_HOME or "
                f"delete {self.settings.kafka_home}"
            )
        cluster_id = self.recorded[1] if self.recorded and self.recorded[1] else _cluster_id()
        if self.brokers == 1:
            return self.nodes[0].start(timeout, cluster_id)
        if self.recorded is None:
            self.settings.kafka_home.mkdir(parents=True, exist_ok=True)
            self.layout_file.write_text(f"brokers={self.brokers}\ncluster.id={cluster_id}\n")
            self.recorded = (self.brokers, cluster_id)
        launched = {}
        try:
            for node in self._chosen(broker):
                process = node.launch(cluster_id)
                if process is not None:
                    launched[node.node_id] = process
            for node in self._chosen(broker):
                node.wait_ready(timeout, launched.get(node.node_id))
            if launched:
                asyncio.run(self._wait_registered(timeout))
        except KafkaError:
            for node_id in launched:  # what never got ready must not linger on its data dir
                self.nodes[node_id - 1].stop()
            raise
        return bool(launched)

    async def _wait_registered(self, timeout: float) -> None:
        """Until the controller lists every node as a live broker."""
        deadline = time.monotonic() + timeout
        seen: list[int] = []
        while time.monotonic() < deadline:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self.settings.kafka_bootstrap, request_timeout_ms=5_000
            )
            try:
                await admin.start()
                cluster = await admin.describe_cluster()
                seen = sorted(broker["node_id"] for broker in cluster["brokers"])
                if seen == list(self._node_ids()):
                    return
            except (ClientError, OSError):
                pass  # still electing a controller: asked again below
            finally:
                await admin.close()
            await asyncio.sleep(0.3)
        raise KafkaError(
            f"only brokers {seen} of {self.brokers} registered within {timeout:.0f}s; "
            f"see {self.settings.logs_dir}/kafka*.log"
        )

    def stop(self, timeout: float = 60.0, broker: int | None = None) -> bool:
        """Controlled shutdown of every node (or node `broker`); False if none ran."""
        terminated = [(node, node.terminate()) for node in self._chosen(broker)]
        for node, process in terminated:
            if process is not None:
                node.wait_stopped(process, timeout)
        return any(process is not None for _, process in terminated)

    def pause(self, broker: int | None = None) -> bool:
        """Freeze the nodes (SIGSTOP); see `KafkaNode.pause`."""
        return any([node.pause() for node in self._chosen(broker)])

    def resume(self, broker: int | None = None) -> bool:
        return any([node.resume() for node in self._chosen(broker)])

    def kill(self, broker: int | None = None) -> bool:
        """Crash the nodes (SIGKILL), as a fault test wants it."""
        return any([node.kill() for node in self._chosen(broker)])

    def status(self, broker: int = 1) -> KafkaStatus:
        return self.node(broker).status()

    def statuses(self) -> list[KafkaStatus]:
        return [node.status() for node in self.nodes]
