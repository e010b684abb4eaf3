"""The Kubernetes manifests (deploy/k8s/) render, are valid Kubernetes objects and run the
deployables the way the rest of the repository does.

No cluster runs here, so each overlay is rendered with the kustomize pinned in the Makefile
(`make k8s-tools`; .ci/run builds it) and every object is validated strictly (an unknown field is
an error) against the Kubernetes JSON schemas that the `kubernetes-validate` package bundles
(nothing is downloaded). Then what a schema cannot know: probes on the container's port,
resources, a hardened security context, a PodDisruptionBudget and a Service selecting each
Deployment's pods (and not its migration Job's), Prometheus annotations as deploy/prometheus
scrapes, the command `make run` launches, a stop that fits the service's shutdown, and an
environment whose every name is a setting of the deployable, secrets from Secrets only.
"""

from __future__ import annotations

import base64
import functools
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import SecretStr, ValidationError

from aftersales_service.settings import AftersalesSettings
from contracts.parties import SERVICES
from dashboard_service.settings import DashboardSettings
from eventing.app import WORKER_STOP_TIMEOUT_S
from eventing.settings import ServiceSettings
from localinfra.config import REPO_ROOT, Deployable, ReadSide
from localinfra.services import service_launch
from logistics_service.settings import LogisticsSettings
from order_service.settings import OrderSettings

K8S = REPO_ROOT / "deploy" / "k8s"
OVERLAY_REPLICAS = {"single": 1, "cluster": 3}
# An older minor that managed clusters still run (the preStop `sleep` action needs 1.30), and the
# newest whose schemas the package bundles.
KUBERNETES_VERSIONS = ("1.33", kubernetes_validate.latest_version())
IMAGE = "orderflow/services"
SETTINGS: dict[str, type[ServiceSettings]] = {
    "order": OrderSettings,
    "logistics": LogisticsSettings,
    "aftersales": AftersalesSettings,
    "dashboard": DashboardSettings,
}
DEPLOYABLE: dict[str, Deployable] = {str(name): name for name in (*SERVICES, *ReadSide)}
DEPLOYABLES = tuple(DEPLOYABLE)
EXAMPLE_MARK = "CHANGE-ME"
# The overlay docs/operations.md tells an operator to write for real secrets.
_DOCUMENTED_OVERLAY = re.compile(
    r"^```yaml\n(# deploy/k8s/overlays/production/kustomization\.yaml\n.*?)^```$", re.S | re.M
)

Document = dict[str, Any]
Overlay = str | Path
"""An overlay of deploy/k8s/overlays by name, or the directory of one elsewhere."""


def kustomize() -> Path:
    """The kustomize the Makefile pins, where `make k8s-tools` builds it."""
    pinned = re.search(r"^KUSTOMIZE_VERSION := (\S+)$", (REPO_ROOT / "Makefile").read_text(), re.M)
    assert pinned is not None, "the Makefile pins no KUSTOMIZE_VERSION"
    binary = REPO_ROOT / ".cache" / "kustomize" / pinned.group(1) / "kustomize"
    if not binary.is_file():
        pytest.fail(f"{binary} is missing: run `make k8s-tools` (as .ci/run does)")
    return binary


@functools.cache
def rendered(overlay: Overlay) -> tuple[Document, ...]:
    result = subprocess.run(
        [str(kustomize()), "build", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(overlay: Overlay, kind: str) -> list[Document]:
    return [doc for doc in rendered(overlay) if doc["kind"] == kind]


def named(overlay: Overlay, kind: str, name: str) -> Document:
    found = [doc for doc in of_kind(overlay, kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"{overlay}: {len(found)} {kind} named {name}"
    return found[0]


def workload(overlay: Overlay, kind: str, deployable: str) -> Document:
    """The Deployment or the migration Job of `deployable`."""
    component = "service" if kind == "Deployment" else "migrations"
    found = [
        doc
        for doc in of_kind(overlay, kind)
        if doc["metadata"]["labels"].get("app.kubernetes.io/name") == deployable
        and doc["metadata"]["labels"].get("app.kubernetes.io/component") == component
    ]
    assert len(found) == 1, f"{overlay}: {len(found)} {kind} of {deployable}"
    return found[0]


def container(document: Document) -> Document:
    containers = document["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    only: Document = containers[0]
    return only


def secret_data(overlay: Overlay, name: str) -> dict[str, str]:
    data = named(overlay, "Secret", name).get("data", {})
    return {key: base64.b64decode(value).decode() for key, value in data.items()}


def environment(overlay: Overlay, spec: Document) -> Iterator[tuple[str, str, str]]:
    """(name, source kind, value) of every variable a container gets."""
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            config = named(overlay, "ConfigMap", source["configMapRef"]["name"])
            for key, value in config["data"].items():
                yield key, "ConfigMap", value
        else:
            for key, value in secret_data(overlay, source["secretRef"]["name"]).items():
                yield key, "Secret", value
    for variable in spec.get("env", []):
        if "value" in variable:
            yield variable["name"], "literal", variable["value"]
            continue
        reference = variable["valueFrom"]["secretKeyRef"]
        data = secret_data(overlay, reference["name"])
        assert reference["key"] in data, f"{reference} names a key the Secret has not"
        yield variable["name"], "Secret", data[reference["key"]]


def secret_settings(settings: type[ServiceSettings]) -> set[str]:
    """The environment names of the settings that are secrets: the SecretStr ones and the
    database DSNs (they carry the password)."""
    return {
        name.upper()
        for name, field in settings.model_fields.items()
        if field.annotation is SecretStr or name.endswith("database_url")
    }


def scrape_targets() -> dict[str, tuple[str, int]]:
    """deployable: (metrics path, port) of deploy/prometheus/prometheus.yml."""
    config = yaml.safe_load((REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = {}
    for job in config["scrape_configs"]:
        [static] = job["static_configs"]
        [target] = static["targets"]
        targets[static["labels"]["service"]] = (job["metrics_path"], int(target.split(":")[1]))
    return targets


def graceful_seconds(command: list[str]) -> int:
    return int(command[command.index("--timeout-graceful-shutdown") + 1])


OVERLAYS = tuple(OVERLAY_REPLICAS)
EACH = [(overlay, name) for overlay in OVERLAYS for name in DEPLOYABLES]


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_rendered_object_is_valid_for_kubernetes(overlay: str, version: str) -> None:
    invalid = []
    for document in rendered(overlay):
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            invalid.append(f"{document['kind']}/{document['metadata']['name']}: {error.message}")
    assert not invalid, "\n".join(invalid)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_lives_in_the_orderflow_namespace(overlay: str) -> None:
    placed = {
        doc["metadata"].get("namespace") for doc in rendered(overlay) if doc["kind"] != "Namespace"
    }
    assert placed == {"orderflow"}
    assert [doc["metadata"]["name"] for doc in of_kind(overlay, "Namespace")] == ["orderflow"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_runs_its_number_of_replicas(overlay: str) -> None:
    replicas = {
        name: workload(overlay, "Deployment", name)["spec"]["replicas"] for name in DEPLOYABLES
    }
    assert replicas == dict.fromkeys(DEPLOYABLES, OVERLAY_REPLICAS[overlay])


@pytest.mark.parametrize(("overlay", "deployable"), EACH)
def test_a_deployment_runs_the_command_make_run_launches(overlay: str, deployable: str) -> None:
    spec = container(workload(overlay, "Deployment", deployable))
    port = spec["ports"][0]["containerPort"]
    launch = service_launch(
        DEPLOYABLE[deployable],
        database_url="unused",
        kafka_bootstrap="unused",
        host="0.0.0.0",
        port=port,
    )
    # `make run` runs `python -m uvicorn …`; the image has uvicorn on its PATH.
    launched = ["uvicorn", *launch.command[3:]]
    command = spec["command"]
    if "--timeout-graceful-shutdown" not in launched:  # bounded here, unbounded under make run
        at = command.index("--timeout-graceful-shutdown")
        command = command[:at] + command[at + 2 :]
    assert command == launched
    assert port == scrape_targets()[deployable][1]


@pytest.mark.parametrize(("overlay", "deployable"), EACH)
def test_a_deployment_probes_ready_and_health_on_its_http_port(
    overlay: str, deployable: str
) -> None:
    spec = container(workload(overlay, "Deployment", deployable))
    assert [(port["name"], port["protocol"]) for port in spec["ports"]] == [("http", "TCP")]
    probes = {
        probe: (spec[probe]["httpGet"]["path"], spec[probe]["httpGet"]["port"])
        for probe in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert probes == {
        "startupProbe": ("/health", "http"),
        "livenessProbe": ("/health", "http"),
        "readinessProbe": ("/ready", "http"),
    }


@pytest.mark.parametrize(("overlay", "deployable"), EACH)
def test_a_pod_stops_within_its_grace_period(overlay: str, deployable: str) -> None:
    pod = workload(overlay, "Deployment", deployable)["spec"]["template"]["spec"]
    spec = container(workload(overlay, "Deployment", deployable))
    needed = (
        spec["lifecycle"]["preStop"]["sleep"]["seconds"]
        + graceful_seconds(spec["command"])
        + WORKER_STOP_TIMEOUT_S
    )
    assert needed < pod["terminationGracePeriodSeconds"]


@pytest.mark.parametrize(("overlay", "deployable"), EACH)
@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_every_pod_is_unprivileged_and_bounded(overlay: str, deployable: str, kind: str) -> None:
    pod = workload(overlay, kind, deployable)["spec"]["template"]["spec"]
    spec = container(workload(overlay, kind, deployable))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["automountServiceAccountToken"] is False
    assert spec["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    for bound in ("requests", "limits"):
        assert set(spec["resources"][bound]) == {"cpu", "memory"}
    assert spec["image"].split(":")[0] == IMAGE


def test_the_image_is_named_by_one_kustomize_images_entry() -> None:
    base = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    assert [entry["name"] for entry in base["images"]] == [IMAGE]
    for overlay in OVERLAYS:
        images = {
            spec["image"]
            for doc in rendered(overlay)
            if doc["kind"] in ("Deployment", "Job")
            for spec in doc["spec"]["template"]["spec"]["containers"]
        }
        assert len(images) == 1, images


@pytest.mark.parametrize(("overlay", "deployable"), EACH)
def test_the_budget_and_the_service_select_the_deployments_pods_only(
    overlay: str, deployable: str
) -> None:
    pods = workload(overlay, "Deployment", deployable)["spec"]["template"]["metadata"]["labels"]
    migration = workload(overlay, "Job", deployable)["spec"]["template"]["metadata"]["labels"]
    budget = named(overlay, "PodDisruptionBudget", deployable)["spec"]
    service = named(overlay, "Service", deployable)["spec"]
    for selector in (budget["selector"]["matchLabels"], service["selector"]):
        assert selector.items() <= pods.items()
        assert not selector.items() <= migration.items()
    assert budget["maxUnavailable"] == 1
    assert [(port["port"], port["targetPort"]) for port in service["ports"]] == [
        (scrape_targets()[deployable][1], "http")
    ]


@pytest.mark.parametrize(("overlay", "deployable"), EACH)
def test_prometheus_annotations_match_the_scrape_configuration(
    overlay: str, deployable: str
) -> None:
    template = workload(overlay, "Deployment", deployable)["spec"]["template"]
    path, port = scrape_targets()[deployable]
    assert template["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(port),
        "prometheus.io/path": path,
    }


@pytest.mark.parametrize(("overlay", "deployable"), EACH)
def test_every_variable_is_a_setting_and_secrets_come_from_secrets(
    overlay: str, deployable: str
) -> None:
    settings = SETTINGS[deployable]
    known = {name.upper() for name in settings.model_fields}
    required = {
        name.upper() for name, field in settings.model_fields.items() if field.is_required()
    }
    secret = secret_settings(settings)
    variables = list(environment(overlay, container(workload(overlay, "Deployment", deployable))))
    names = [name for name, _, _ in variables]

    assert set(names) <= known, f"not settings of {deployable}: {set(names) - known}"
    assert len(names) == len(set(names)), f"set twice: {names}"
    assert required <= set(names)
    assert all(source == "Secret" for name, source, _ in variables if name in secret)
    assert "AUTH_SECRET" in names
    # The two that wrap and unwrap the buyers' data keys, and only they (README, PII_KEKS).
    assert ("PII_KEKS" in names) == (deployable in ("order", "logistics"))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_config_map_holds_a_secret(overlay: str) -> None:
    secret_names = set().union(*(secret_settings(settings) for settings in SETTINGS.values()))
    secret_values = {
        value
        for doc in of_kind(overlay, "Secret")
        for value in secret_data(overlay, doc["metadata"]["name"]).values()
    }
    for config in of_kind(overlay, "ConfigMap"):
        assert not set(config["data"]) & secret_names, config["metadata"]["name"]
        for value in config["data"].values():
            assert not any(secret in value for secret in secret_values), config["metadata"]["name"]


@pytest.mark.parametrize(("overlay", "deployable"), EACH)
def test_the_migration_job_migrates_the_deployments_database(overlay: str, deployable: str) -> None:
    job = workload(overlay, "Job", deployable)
    spec = container(job)
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # What `localinfra provision` runs for each database (localinfra.services.migrate).
    assert spec["command"] == [
        "python", "-m", "eventing.migrate", "--database-url", "$(DATABASE_URL)",
        "--service", deployable,
    ]  # fmt: skip
    served = container(workload(overlay, "Deployment", deployable))
    migrated = {name: value for name, _, value in environment(overlay, spec)}
    assert migrated == {
        name: value for name, _, value in environment(overlay, served) if name == "DATABASE_URL"
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_admit_only_the_http_port_of_the_services(overlay: str) -> None:
    policies = of_kind(overlay, "NetworkPolicy")
    for name in DEPLOYABLES:
        for kind, expected in (
            ("Deployment", [[{"port": "http", "protocol": "TCP"}]]),
            ("Job", []),
        ):
            labels = workload(overlay, kind, name)["spec"]["template"]["metadata"]["labels"]
            selecting = [
                policy["spec"]
                for policy in policies
                if policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
            ]
            assert len(selecting) == 1, (name, kind)
            assert selecting[0]["policyTypes"] == ["Ingress"]
            assert [rule["ports"] for rule in selecting[0].get("ingress", [])] == expected


@pytest.mark.parametrize(("overlay", "deployable"), EACH)
def test_the_example_secrets_are_marked_and_no_service_starts_on_them(
    overlay: str, deployable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for doc in of_kind(overlay, "Secret"):
        values = secret_data(overlay, doc["metadata"]["name"])
        assert values
        assert all(EXAMPLE_MARK in value for value in values.values())
    for name, _, value in environment(
        overlay, container(workload(overlay, "Deployment", deployable))
    ):
        monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError, match="auth_secret"):
        SETTINGS[deployable]()


def test_the_example_component_is_the_only_secret_generator_in_git() -> None:
    # Tracked files and those that would be: all but the ignored.
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "deploy/k8s"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    generators = [name for name in listed if "secretGenerator" in (REPO_ROOT / name).read_text()]
    assert generators == ["deploy/k8s/components/example-secrets/kustomization.yaml"]
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "deploy/k8s/overlays/production/keys.env"],
        cwd=REPO_ROOT,
        check=False,
    )
    assert ignored.returncode == 0, "real secrets in deploy/k8s/**/*.env must be ignored by git"


def test_the_documented_overlay_replaces_every_example_with_a_working_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [documented] = _DOCUMENTED_OVERLAY.findall((REPO_ROOT / "docs" / "operations.md").read_text())
    tree = tmp_path / "k8s"
    shutil.copytree(K8S, tree, ignore=shutil.ignore_patterns("*.env"))
    production = tree / "overlays" / "production"
    production.mkdir()
    (production / "kustomization.yaml").write_text(documented)
    kek = base64.b64encode(os.urandom(32)).decode()
    (production / "keys.env").write_text(
        f"AUTH_SECRET={secrets.token_urlsafe(32)}\nPII_KEKS=prod-1:{kek}\n"
    )
    for name in DEPLOYABLES:
        password = secrets.token_urlsafe(16)
        (production / f"{name}.env").write_text(
            f"DATABASE_URL=postgresql://{name}:{password}@postgres.db:5432/{name}\n"
        )

    for doc in of_kind(production, "Secret"):
        values = secret_data(production, doc["metadata"]["name"]).values()
        assert not [value for value in values if EXAMPLE_MARK in value]
    for name in DEPLOYABLES:
        deployment = workload(production, "Deployment", name)
        assert container(deployment)["image"].startswith("registry.shop.example/")
        with monkeypatch.context() as patched:
            for variable, _, value in environment(production, container(deployment)):
                patched.setenv(variable, value)
            settings = SETTINGS[name]()
        assert settings.database_url.endswith(f"/{name}")
        assert len(settings.auth_secret.get_secret_value()) >= 32
