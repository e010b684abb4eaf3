"""The Prometheus and Grafana provisioning of deploy/ is valid and reads metrics the code exports.

promtool (Debian's `prometheus` package; .ci/run installs it) checks the two scrape
configurations, the recording and alerting rules and runs their unit tests
(deploy/prometheus/rules_test.yml). No maintained Grafana dashboard validator can be installed
here, so the dashboard is checked by what Grafana itself needs of it: every query parses as
PromQL (promtool, each query wrapped as a recording rule), names only metrics the code registers
or the recording rules record, and uses the provisioned datasource and defined variables.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

import eventing.business_metrics
import eventing.http.request_metrics
import eventing.metrics  # noqa: F401  (the three register every metric of a process)
from contracts.parties import SERVICES
from localinfra.config import REPO_ROOT, InfraSettings, ReadSide

PROMETHEUS = REPO_ROOT / "deploy" / "prometheus"
GRAFANA = REPO_ROOT / "deploy" / "grafana"
SCRAPE_CONFIGS = ("prometheus.yml", "prometheus.compose.yml")
RULE_FILES = ("recording.yml", "alerts.yml")
DASHBOARD = GRAFANA / "dashboards" / "orderflow.json"
DEPLOYABLES = (*SERVICES, *ReadSide)
NEW_ALERTS = (
    "HttpErrorRatioHigh",
    "HttpLatencyHigh",
    "WorkerDown",
    "DeadLettersGrowing",
    "DeadlinesOverdue",
    "DeadlinesParked",
)

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_LABEL_LIST = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "group_left", "group_right"})
_GRAFANA_DURATION = re.compile(r"\$__(?:rate_interval|interval|range)\b")
_GRAFANA_VARIABLE = re.compile(r"\$\{?(\w+)\}?")


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _promtool(*args: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: apt-get install -y prometheus (as .ci/run does)")
    return subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True, check=False)


def metric_names(expr: str) -> set[str]:
    """The metric (and recorded series) names a PromQL expression selects: what is left once
    strings, label matchers, ranges, label lists and function calls are taken out."""
    bare = _LABEL_LIST.sub("", _RANGE.sub("", _MATCHERS.sub("", _STRING.sub('""', expr))))
    names = set()
    for match in _NAME.finditer(bare):
        called = bare[match.end() :].lstrip().startswith("(")
        if not called and match.group() not in _KEYWORDS:
            names.add(match.group())
    return names


def registered_series() -> set[str]:
    """Every series name the processes' metrics expose (`_total` of a counter, `_bucket`,
    `_count` and `_sum` of a histogram) and `up`, which Prometheus adds to each target."""
    names = {"up"}
    for metric in REGISTRY.collect():
        names.add(metric.name)
        if metric.type == "counter":
            names.add(f"{metric.name}_total")
        if metric.type == "histogram":
            names.update(f"{metric.name}{suffix}" for suffix in ("_bucket", "_count", "_sum"))
    return names


def recording_rules() -> list[dict[str, Any]]:
    groups = _yaml(PROMETHEUS / "recording.yml")["groups"]
    return [rule for group in groups for rule in group["rules"]]


def alert_rules() -> list[dict[str, Any]]:
    groups = _yaml(PROMETHEUS / "alerts.yml")["groups"]
    return [rule for group in groups for rule in group["rules"]]


def provisioned_datasource() -> dict[str, Any]:
    (datasource,) = _yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")[
        "datasources"
    ]
    loaded: dict[str, Any] = datasource
    return loaded


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def dashboard_queries() -> list[tuple[str, str]]:
    """(where, PromQL) for every panel target and every query variable of the dashboard."""
    queries = [
        (f"panel {panel['id']} {target['refId']}", target["expr"])
        for panel in dashboard()["panels"]
        for target in panel.get("targets", ())
    ]
    for variable in dashboard()["templating"]["list"]:
        found = re.fullmatch(r"label_values\((.+),\s*\w+\)", variable["query"]["query"])
        assert found, f"variable {variable['name']} is not a label_values(selector, label) query"
        queries.append((f"variable {variable['name']}", found.group(1)))
    return queries


def as_promql(query: str) -> str:
    """A Grafana query as Prometheus sees it: the interval macros and variables filled in."""
    return _GRAFANA_VARIABLE.sub(".*", _GRAFANA_DURATION.sub("5m", query))


@pytest.mark.parametrize("config", SCRAPE_CONFIGS)
def test_promtool_accepts_the_scrape_configuration_and_its_rule_files(config: str) -> None:
    result = _promtool("check", "config", config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rule files found" in result.stdout


def test_promtool_accepts_the_recording_and_alerting_rules() -> None:
    result = _promtool("check", "rules", *RULE_FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rule_unit_tests_pass() -> None:
    result = _promtool("test", "rules", "rules_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_rule_unit_tests_cover_the_new_alerts() -> None:
    tests = _yaml(PROMETHEUS / "rules_test.yml")["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", ())
        if case.get("exp_alerts")
    }
    assert set(NEW_ALERTS) <= fired
    assert any(test.get("promql_expr_test") for test in tests)


def test_every_deployable_is_scraped_at_its_local_port_with_its_job_and_service() -> None:
    defaults = InfraSettings.model_construct()  # the ports of `make run`, whatever the env says
    jobs = {job["job_name"]: job for job in _yaml(PROMETHEUS / "prometheus.yml")["scrape_configs"]}
    assert set(jobs) == {f"orderflow-{name}" for name in DEPLOYABLES}
    for name in DEPLOYABLES:
        job = jobs[f"orderflow-{name}"]
        assert job["metrics_path"] == "/metrics"
        (targets,) = job["static_configs"]
        assert targets["targets"] == [f"localhost:{defaults.service_port(name)}"]
        assert targets["labels"] == {"service": name}


def test_the_compose_scrape_configuration_differs_only_in_the_hosts() -> None:
    local = _yaml(PROMETHEUS / "prometheus.yml")
    composed = _yaml(PROMETHEUS / "prometheus.compose.yml")
    compose_services = _yaml(REPO_ROOT / "deploy" / "compose" / "docker-compose.yml")["services"]
    for job in composed["scrape_configs"]:
        (targets,) = job["static_configs"]
        (target,) = targets["targets"]
        host, port = target.split(":")
        assert host == targets["labels"]["service"]
        command = compose_services[host]["command"]
        assert command[command.index("--port") + 1] == port
        targets["targets"] = [f"localhost:{port}"]
    assert composed == local


def test_compose_runs_prometheus_and_grafana_on_the_provisioning_files() -> None:
    services = _yaml(REPO_ROOT / "deploy" / "compose" / "docker-compose.yml")["services"]
    prometheus, grafana = services["prometheus"], services["grafana"]
    assert "--config.file=/etc/prometheus/prometheus.compose.yml" in prometheus["command"]
    assert "../prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "../grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    provider = _yaml(GRAFANA / "provisioning" / "dashboards" / "orderflow.yml")["providers"][0]
    assert f"../grafana/dashboards:{provider['options']['path']}:ro" in grafana["volumes"]
    assert provisioned_datasource()["url"] == "http://prometheus:9090"


def test_every_metric_the_rules_and_the_dashboard_read_is_registered_or_recorded() -> None:
    known = registered_series() | {rule["record"] for rule in recording_rules()}
    queries = [(rule.get("record") or rule["alert"], rule["expr"]) for rule in recording_rules()]
    queries += [(rule["alert"], rule["expr"]) for rule in alert_rules()]
    queries += dashboard_queries()
    for where, query in queries:
        names = metric_names(query)
        assert names, f"{where} selects no metric: {query}"
        assert names <= known, f"{where} reads unknown {names - known}"


def test_the_name_extraction_sees_metrics_and_ignores_labels_and_functions() -> None:
    expr = (
        'sum by (le) (rate(a_total{x=~"b"}[5m])) / ignoring (t) group_left c:d:rate5m'
        ' and on (i) label_replace(e, "f", "$1", "g", "(.*)") > 0.5'
    )
    assert metric_names(expr) == {"a_total", "c:d:rate5m", "e"}


def test_every_dashboard_query_parses_as_promql(tmp_path: Path) -> None:
    rules = [
        {"record": f"dashboard_check:query_{index}", "expr": as_promql(query)}
        for index, (_, query) in enumerate(dashboard_queries())
    ]
    (tmp_path / "dashboard.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "q", "rules": rules}]})
    )
    result = _promtool("check", "rules", "dashboard.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(rules)} rules found" in result.stdout


def test_the_dashboard_reads_the_provisioned_datasource_and_defined_variables() -> None:
    model = dashboard()
    uid = provisioned_datasource()["uid"]
    variables = {variable["name"] for variable in model["templating"]["list"]}
    for variable in model["templating"]["list"]:
        assert variable["datasource"] == {"type": "prometheus", "uid": uid}
    for panel in model["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"]
            used = set(_GRAFANA_VARIABLE.findall(_GRAFANA_DURATION.sub("", target["expr"])))
            assert used <= variables, f"{panel['title']} uses undefined {used - variables}"


def test_the_dashboard_panels_have_distinct_ids_and_fit_the_grid() -> None:
    model = dashboard()
    assert model["uid"]
    assert model["title"]
    assert isinstance(model["schemaVersion"], int)
    panels = model["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    occupied: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (grid["x"] + dx, grid["y"] + dy) for dx in range(grid["w"]) for dy in range(grid["h"])
        }
        assert not cells & occupied, f"{panel['title']} overlaps another panel"
        occupied |= cells
        refs = [target["refId"] for target in panel.get("targets", ())]
        assert len(set(refs)) == len(refs), panel["title"]


def test_the_dashboard_shows_red_the_pipeline_and_the_business() -> None:
    read = {name for _, query in dashboard_queries() for name in metric_names(query)}
    assert {
        "service_method_route:orderflow_http_requests:rate5m",
        "service_method_route_status_class:orderflow_http_requests:ratio_rate5m",
        "service_method_route:orderflow_http_request_duration_seconds:p99_rate5m",
        "relay:eventing_relay_lag_events:max",
        "group:eventing_subscription_lag_events:sum",
        "group:eventing_subscription_dead_lettered:rate5m",
        "kind:eventing_deadlines_fired:rate5m",
        "kind:eventing_deadlines_due:max",
        "kind:eventing_deadlines_overdue_seconds:max",
        "orderflow_events_recorded_total",
        "orderflow_gmv_minor_units_total",
        "orderflow_refunds_total",
        "orderflow_refunded_minor_units_total",
    } <= read
