"""The docker compose file stays consistent with the code it runs (no Docker engine needed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.parties import SERVICES
from localinfra.config import REPO_ROOT, ReadSide, kafka_version

COMPOSE = REPO_ROOT / "deploy" / "compose" / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_compose_runs_each_service_with_its_own_database_and_the_broker() -> None:
    services = _compose()["services"]
    for name in (*SERVICES, *ReadSide):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].endswith(f"/{name}")
        assert environment["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert f"{name}_service.main:create_app" in services[name]["command"]


def test_the_image_installs_every_deployable_compose_runs() -> None:
    dockerfile = (COMPOSE.parent / "Dockerfile").read_text()
    for name in (*SERVICES, *ReadSide):
        assert f"-e ./services/{name}" in dockerfile


def test_compose_uses_the_kafka_version_pinned_for_local_runs() -> None:
    assert _compose()["services"]["kafka"]["image"] == f"apache/kafka:{kafka_version()}"


def test_compose_disables_topic_auto_creation() -> None:
    kafka_env = _compose()["services"]["kafka"]["environment"]
    assert kafka_env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_docker_compose_accepts_the_file_where_the_plugin_exists(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker client on this machine")
    plugin = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
    if plugin.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
