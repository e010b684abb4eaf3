"""Failover on a cluster: three Kafka brokers and three replicas of every service (issue 22).

One system for the module: three processes of each service on its one database and consumer
groups (HTTP and workers on each; `localinfra.system.start_system(replicas=3)`), topics of six
partitions replicated three times with `min.insync.replicas=2`, clients spread over the
replicas as a load balancer would. Each test runs a mixed load of orders with retrying clients
(`tests.e2e.lifecycle_mix`, `tests.e2e.patient_clients`) and, once a third of it has started,
one fault, the load going on until it is over:

- SIGKILL of the broker that leads the most partitions of the order topic (back after a pause);
- SIGKILL of one of the three replicas of each service in turn, the one leading its relay, so
  another must take the relay's lock; the killed one started again;
- a rolling restart (SIGTERM, start, ready) of every replica of the order service;
- a rolling restart (controlled shutdown, start, in sync again) of the three brokers.

After each, once the system is quiet: no acknowledged write lost, no duplicated effect, each
order's events on its topic once and in order, every read model equal to its rebuild, no dead
letter, one relay leading per service, and each consumer group made of three members that own
every partition once. How long the system took to be quiet after the fault is printed and
recorded (`quiet_after_fault_seconds`), never asserted.

Marked `cluster`: they need the three-broker test infrastructure (`make test-cluster`, which
sets `ORDERS_KAFKA_BROKERS=3`), and skip on a single broker. `ORDERS_CLUSTER_ORDERS` sizes the
load of each test (default 24): orders go on starting until the fault is over.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pprint import pformat
from typing import Any

import httpx
import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from aiokafka.errors import KafkaError
from aiokafka.protocol.admin import (
    DescribeGroupsRequest_v0,
    DescribeGroupsRequest_v1,
    DescribeGroupsRequest_v2,
)
from aiokafka.protocol.api import Request

from contracts.parties import SERVICES, Service
from eventing.testing import eventually
from eventing.topics import connect_admin
from localinfra import flows
from localinfra.flows import CUP, TEA
from localinfra.system import System, run_logs, start_system, stop_system
from localinfra.testing import FaultInjector, InfraEndpoints
from tests.e2e import fault_invariants as invariants
from tests.e2e.lifecycle_mix import STOCK, Load, everything_wrong
from tests.e2e.patient_clients import PatientActors
from tests.fuzz import downstream

pytestmark = [pytest.mark.e2e, pytest.mark.fault, pytest.mark.cluster]

ORDERS = int(os.environ.get("ORDERS_CLUSTER_ORDERS", "24"))
REPLICAS, BROKERS, PARTITIONS = 3, 3, 6
QUIET_WITHIN = 300.0  # seconds the system may take to be quiet after the load
RECOVERY = 180.0  # seconds a broker, replica or relay may take to be back
BROKER_DOWN = 5.0  # seconds the killed broker stays down

Fault = Callable[[], Awaitable[dict[str, float]]]
_RELAY_ACTIVE = re.compile(r'^eventing_relay_active\{relay="([^"]+)"\} (\S+)$', re.MULTILINE)


@pytest.fixture(scope="module")
async def cluster(infra: InfraEndpoints) -> AsyncIterator[System]:
    """The module's system: three replicas of each service on the three-broker infrastructure
    (logs under the infrastructure's home, `cluster-logs/…`)."""
    if infra.faults is None or infra.settings is None:
        pytest.skip(f"the {infra.backend} backend cannot kill brokers and replicas")
    if infra.settings.kafka_broker_count < BROKERS:
        pytest.skip("needs the three-broker test infrastructure: `make test-cluster`")
    logs = run_logs(infra, "cluster")
    assert logs is not None
    system = await start_system(infra, logs, replicas=REPLICAS, partitions=PARTITIONS)
    try:
        yield system
    finally:
        await infra.faults.start_kafka()  # whatever a failure left down, before the system goes
        await stop_system(system)


async def test_the_broker_leading_most_order_partitions_killed(
    cluster: System, fault_injector: FaultInjector, record_property: Callable[[str, object], None]
) -> None:
    async def kill_the_leader() -> dict[str, float]:
        leaders = Counter(
            p["leader"] for p in await _partitions(cluster, cluster.topics[Service.ORDER])
        )
        victim = int(leaders.most_common(1)[0][0])
        await fault_injector.kill_kafka(victim)
        await asyncio.sleep(BROKER_DOWN)
        started = time.monotonic()
        await fault_injector.start_kafka(victim)
        back = time.monotonic() - started
        await _in_sync(cluster)
        return {"victim_broker": victim, "broker_back_seconds": back,
                "in_sync_after_start_seconds": time.monotonic() - started}  # fmt: skip

    await _survives(cluster, "leading broker killed", kill_the_leader, record_property)


async def test_one_replica_of_each_service_killed_in_turn(
    cluster: System, record_property: Callable[[str, object], None]
) -> None:
    async def kill_each_relay_leader() -> dict[str, float]:
        took: dict[str, float] = {}
        for service in SERVICES:
            leader = await _relay_leader(cluster, service)
            flows.kill(cluster, service, leader)
            killed = time.monotonic()
            await _taken_over(cluster, service, leader)
            took[f"{service.value}_relay_taken_over_seconds"] = time.monotonic() - killed
            await flows.restart(cluster, service, leader)
            took[f"{service.value}_replica_back_seconds"] = time.monotonic() - killed
        return took

    await _survives(cluster, "a replica of each service killed", kill_each_relay_leader,
                    record_property)  # fmt: skip


async def test_a_rolling_restart_of_every_replica_of_the_order_service(
    cluster: System, record_property: Callable[[str, object], None]
) -> None:
    async def roll() -> dict[str, float]:
        took: dict[str, float] = {}
        for replica in range(REPLICAS):
            started = time.monotonic()
            await flows.stop(cluster, Service.ORDER, replica)
            await flows.restart(cluster, Service.ORDER, replica)
            took[f"replica_{replica}_restart_seconds"] = time.monotonic() - started
        return took

    await _survives(cluster, "order service rolled", roll, record_property)


async def test_a_rolling_restart_of_the_brokers(
    cluster: System, fault_injector: FaultInjector, record_property: Callable[[str, object], None]
) -> None:
    async def roll() -> dict[str, float]:
        took: dict[str, float] = {}
        for broker in range(1, BROKERS + 1):
            started = time.monotonic()
            await fault_injector.stop_kafka(broker)
            await fault_injector.start_kafka(broker)
            await _in_sync(cluster)  # the next one goes only when no partition is short of it
            took[f"broker_{broker}_restart_seconds"] = time.monotonic() - started
        return took

    await _survives(cluster, "brokers rolled", roll, record_property)


async def _survives(
    system: System, name: str, fault: Fault, record_property: Callable[[str, object], None]
) -> None:
    """A load of `ORDERS` orders with `fault` once a third of them started; then every check."""
    before = await downstream.snapshot(system)
    async with PatientActors.of(system) as actors:
        for line in (TEA, CUP):
            await flows.set_stock(actors, line.sku, STOCK)
        load = Load(actors, ORDERS)
        measured: dict[str, float] = {}
        ended: list[float] = []
        fault_over = asyncio.Event()  # the load goes on until the fault is over

        async def inject() -> None:
            await load.started_at_least(ORDERS // 3)
            started = time.monotonic()
            injected = asyncio.ensure_future(fault())
            try:
                measured.update(await asyncio.shield(injected))
            except asyncio.CancelledError:
                await injected  # the load failed: let the fault finish, nothing left half down
                raise
            finally:
                fault_over.set()
            ended.append(time.monotonic())
            measured["fault_seconds"] = ended[0] - started

        async with asyncio.TaskGroup() as running:
            running.create_task(load.run(until=fault_over))
            running.create_task(inject())
        load_done = time.monotonic()
        quiet_at = await invariants.wait_until_quiet(system, QUIET_WITHIN)
        measured["load_done_after_fault_seconds"] = load_done - ended[0]
        measured["quiet_after_fault_seconds"] = quiet_at - ended[0]
        rounded = {key: round(value, 1) for key, value in measured.items()}
        for key, value in rounded.items():
            record_property(key, value)
        record_property("orders", load.size)
        record_property("retried", dict(actors.retried))
        print(f"\n{name}: {load.size} orders, {rounded}, retried {dict(actors.retried)}")

        problems = await everything_wrong(system, actors, load)
        aftermath = await downstream.aftermath(system, before)
        problems["dead letters"] = [f"{why}: {n}" for why, n in aftermath.dead_letters.items()]
        problems["relay leaders"] = await _leadership_problems(system)
        problems["consumer groups"] = await _ownership_problems(system)
    wrong = {check: found[: invariants.SHOWN] for check, found in problems.items() if found}
    assert not wrong, pformat(wrong, width=120)


async def _partitions(system: System, topic: str) -> list[dict[str, Any]]:
    admin = await connect_admin(system.bootstrap)
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions: list[dict[str, Any]] = described[0]["partitions"]
    return partitions


async def _in_sync(system: System) -> None:
    """Until every partition of the run's topics has all three replicas in sync."""

    async def short() -> list[str]:
        found = []
        for topic in system.topics.values():
            try:
                partitions = await _partitions(system, topic)
            except (KafkaError, OSError) as error:  # a broker still coming back
                return [f"{topic}: {error!r}"]
            found += [f"{topic}/{p['partition']}: {p['isr']}" for p in partitions
                      if len(p["isr"]) < BROKERS]  # fmt: skip
        return found

    await eventually(short, lambda found: not found, timeout=RECOVERY, interval=0.5,
                     message="every partition's replicas in sync again")  # fmt: skip


async def _relay_leaders(system: System, service: Service) -> list[int]:
    """The replicas of `service` whose /metrics say they hold the relay's lock."""
    leading = []
    async with httpx.AsyncClient(timeout=5) as http:
        for running in system.replicas(service):
            try:
                page = (await http.get(f"{running.url}/metrics")).text
            except httpx.HTTPError:
                continue  # killed, or not up yet: it leads nothing
            if any(float(value) == 1 for _, value in _RELAY_ACTIVE.findall(page)):
                leading.append(running.replica)
    return leading


async def _taken_over(system: System, service: Service, former: int) -> None:
    """Until another replica than `former` leads the relay of `service`, and only it."""
    await eventually(
        lambda: _relay_leaders(system, service),
        lambda leading: len(leading) == 1 and former not in leading,
        timeout=RECOVERY, interval=0.2,
        message=f"another replica of {service.value} leading its relay",
    )  # fmt: skip


async def _relay_leader(system: System, service: Service) -> int:
    leading = await eventually(
        lambda: _relay_leaders(system, service), lambda found: len(found) == 1,
        timeout=RECOVERY, interval=0.2, message=f"one replica of {service.value} leading",
    )  # fmt: skip
    return leading[0]


async def _leadership_problems(system: System) -> invariants.Problems:
    """Exactly one replica of each service leads its relay."""
    found = []
    for service in SERVICES:
        leading = await _relay_leaders(system, service)
        if len(leading) != 1:
            found.append(f"{service.value}: replicas {leading} lead the relay")
    return found


async def _ownership_problems(system: System) -> invariants.Problems:
    """Each of the run's consumer groups has one member per replica, and its members own every
    partition of its topics exactly once."""
    admin = await connect_admin(system.bootstrap)
    try:
        prefix = f"e2e.{system.run}."
        groups = sorted(g for g, _ in await admin.list_consumer_groups() if g.startswith(prefix))
        described = [await _describe_group(admin, group) for group in groups]
        sizes = {topic: len(await _partitions(system, topic)) for topic in system.topics.values()}
    finally:
        await admin.close()
    found = [] if groups else ["no consumer group of the run"]
    for group in described:
        name, members = group["group"], group["members"]
        if len(members) != REPLICAS:
            found.append(f"{name}: {len(members)} members ({group['state']})")
        owned = Counter(
            (tp.topic, tp.partition)
            for member in members
            for tp in ConsumerProtocolMemberAssignment.decode(
                member["member_assignment"]
            ).partitions()
        )
        topics = {topic for topic, _ in owned}
        expected = Counter({(t, p): 1 for t in topics for p in range(sizes.get(t, 0))})
        if not topics or owned != expected:
            found.append(f"{name}: partitions owned {dict(owned)}")
    return found


_UpToV2 = DescribeGroupsRequest_v0 | DescribeGroupsRequest_v1 | DescribeGroupsRequest_v2


class _DescribeGroups(Request[_UpToV2]):  # type: ignore[misc]  # aiokafka has no type hints
    """DescribeGroups up to v2: aiokafka 0.14 decodes the answer to its v3 request with the v2
    schema (`DescribeGroupsRequest_v3.RESPONSE_TYPE`), which fails on Kafka 4."""

    API_KEY = 15

    def __init__(self, groups: list[str]) -> None:
        self._groups = groups

    def build(self, request_struct_class: Any) -> Any:  # one of the three struct classes
        return request_struct_class(self._groups)


async def _describe_group(admin: AIOKafkaAdminClient, group: str) -> dict[str, Any]:
    """The group's state and members, from its coordinator."""
    coordinator = await admin.find_coordinator(group)
    response = await admin._client.send(coordinator, _DescribeGroups([group]))
    described: dict[str, Any] = response.to_object()["groups"][0]
    return described


def _assigned(encoded: bytes) -> list[TopicPartition]:
    """The partitions of a member's assignment (the consumer protocol's encoding)."""
    partitions: list[TopicPartition] = ConsumerProtocolMemberAssignment.decode(encoded).partitions()
    return partitions
