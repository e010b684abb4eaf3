"""Where `localinfra run --replicas N` (`make run REPLICAS=N`) serves each process: replica 0 on
the ports a single replica has always used, replica r ten ports above, no two on one port."""

from __future__ import annotations

import pytest

from contracts.parties import SERVICES
from localinfra.config import REPLICA_PORT_STEP, Deployable, InfraSettings, ReadSide
from localinfra.services import replica_log_name


def test_given_one_replica_then_the_ports_are_the_base_and_the_three_after_it() -> None:
    settings = InfraSettings(service_base_port=8100)

    ports = [settings.service_port(name) for name in (*SERVICES, *ReadSide)]

    assert ports == [8100, 8101, 8102, 8103]
    assert settings.replicas == 1


@pytest.mark.parametrize("replicas", [2, 3, 9])
def test_given_replicas_then_each_process_has_a_port_of_its_own_above_replica_0(
    replicas: int,
) -> None:
    settings = InfraSettings(service_base_port=8100, replicas=replicas)

    ports: dict[tuple[Deployable, int], int] = {
        (name, replica): settings.service_port(name, replica)
        for replica in range(replicas)
        for name in SERVICES
    }
    ports[ReadSide.DASHBOARD, 0] = settings.service_port(ReadSide.DASHBOARD)

    assert len(set(ports.values())) == len(ports)
    for (name, replica), port in ports.items():
        assert port == settings.service_port(name) + REPLICA_PORT_STEP * replica


def test_replica_0_logs_where_a_single_replica_always_did() -> None:
    assert [replica_log_name(s, 0) for s in SERVICES] == [f"{s.value}.log" for s in SERVICES]
    assert replica_log_name(SERVICES[0], 2) == f"{SERVICES[0].value}-2.log"


def test_replicas_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_REPLICAS", "3")

    assert InfraSettings().replicas == 3
