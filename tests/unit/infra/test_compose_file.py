"""The docker compose file stays consistent with the code it runs (no Docker engine needed):
read as Compose reads it (YAML merge keys, `${NAME:-default}` from an env file), once without
and once with the three-broker `cluster` profile (deploy/compose/cluster.env)."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.parties import SERVICES
from localinfra.config import REPO_ROOT, ReadSide, kafka_version

COMPOSE = REPO_ROOT / "deploy" / "compose" / "docker-compose.yml"
CLUSTER_ENV = COMPOSE.parent / "cluster.env"
_VARIABLE = re.compile(r"\$\{(\w+):-([^}]*)\}")
BROKERS = ("kafka", "kafka-2", "kafka-3")
REPLICATION_SETTINGS = (
    "KAFKA_DEFAULT_REPLICATION_FACTOR",
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
)


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines())
    return {name: value for name, value in (p for p in pairs if len(p) == 2)}


def _interpolated(node: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: _interpolated(value, variables) for key, value in node.items()}
    if isinstance(node, list):
        return [_interpolated(value, variables) for value in node]
    if isinstance(node, str):
        return _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(2)), node)
    return node


def _compose(variables: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The file as Compose runs it with `variables` (an env file's), its services narrowed to
    the profiles that file turns on."""
    loaded: dict[str, Any] = _interpolated(yaml.safe_load(COMPOSE.read_text()), variables or {})
    active = set((variables or {}).get("COMPOSE_PROFILES", "").split(",")) - {""}
    loaded["services"] = {
        name: service
        for name, service in loaded["services"].items()
        if not service.get("profiles") or active & set(service["profiles"])
    }
    return loaded


def _cluster() -> dict[str, Any]:
    return _compose(_env_file(CLUSTER_ENV))


@pytest.mark.parametrize(
    ("compose", "bootstrap"),
    [(_compose, "kafka:9092"), (_cluster, "kafka:9092,kafka-2:9092,kafka-3:9092")],
    ids=["one broker", "cluster profile"],
)
def test_compose_runs_each_service_with_its_own_database_and_the_brokers(
    compose: Any, bootstrap: str
) -> None:
    services = compose()["services"]
    for name in (*SERVICES, *ReadSide):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].endswith(f"/{name}")
        assert environment["KAFKA_BOOTSTRAP_SERVERS"] == bootstrap
        assert f"{name}_service.main:create_app" in services[name]["command"]
    assert services["provision"]["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == bootstrap


def test_without_the_profile_one_broker_votes_alone_and_keeps_one_copy() -> None:
    services = _compose()["services"]
    assert [name for name in services if name.startswith("kafka")] == ["kafka"]
    kafka = services["kafka"]["environment"]
    assert kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert kafka["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert kafka["KAFKA_MIN_INSYNC_REPLICAS"] == "1"
    assert services["provision"]["environment"]["ORDERS_KAFKA_BROKERS"] == "1"


def test_the_cluster_profile_runs_three_kraft_nodes_replicating_three_times() -> None:
    services = _cluster()["services"]
    nodes = {name: services[name]["environment"] for name in BROKERS}
    assert sorted(str(env["KAFKA_NODE_ID"]) for env in nodes.values()) == ["1", "2", "3"]
    voters = {f"{env['KAFKA_NODE_ID']}@{name}:9093" for name, env in nodes.items()}
    for name, env in nodes.items():
        assert set(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == voters
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert f"PLAINTEXT://{name}:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
        for setting in REPLICATION_SETTINGS:
            assert env[setting] == "3", (name, setting)
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
        assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "2"
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
        assert services[name]["image"] == f"apache/kafka:{kafka_version()}"
    # One cluster id (a UUID, as `kafka-storage format` takes it) for the three nodes.
    (cluster_id,) = {env["CLUSTER_ID"] for env in nodes.values()}
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
    external = [services[name]["ports"] for name in BROKERS]
    assert external == [["59092:59092"], ["59094:59094"], ["59096:59096"]]
    volumes = [services[name]["volumes"][0].split(":")[0] for name in BROKERS]
    assert len(set(volumes)) == 3
    assert set(volumes) <= set(_cluster()["volumes"])
    # Topics from the catalog get three copies and min.insync.replicas=2 (`replication_for`).
    assert services["provision"]["environment"]["ORDERS_KAFKA_BROKERS"] == "3"
    waits = services["provision"]["depends_on"]
    assert all(waits[name]["condition"] == "service_healthy" for name in BROKERS)


def test_the_image_installs_every_deployable_compose_runs() -> None:
    dockerfile = (COMPOSE.parent / "Dockerfile").read_text()
    for name in (*SERVICES, *ReadSide):
        assert f"-e ./services/{name}" in dockerfile


def test_compose_uses_the_kafka_version_pinned_for_local_runs() -> None:
    assert _compose()["services"]["kafka"]["image"] == f"apache/kafka:{kafka_version()}"


def test_compose_disables_topic_auto_creation() -> None:
    kafka_env = _compose()["services"]["kafka"]["environment"]
    assert kafka_env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


@pytest.mark.parametrize("env_file", [None, CLUSTER_ENV], ids=["one broker", "cluster profile"])
def test_docker_compose_accepts_the_file_where_the_plugin_exists(
    tmp_path: Path, env_file: Path | None
) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker client on this machine")
    plugin = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
    if plugin.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    chosen = ["--env-file", str(env_file)] if env_file else []
    result = subprocess.run(
        [docker, "compose", *chosen, "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
