"""The checked-in artefacts are current, and outsiders can validate events with them alone."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs; the lock has no types-jsonschema
import pytest

from contracts import REGISTRY, TOPICS, from_structured_json
from contracts.artefacts import (
    ASYNCAPI_FILE,
    CATALOG_FILE,
    EXAMPLES_DIR,
    SCHEMAS_DIR,
    check,
    generated_artefacts,
    main,
    write,
)
from contracts.dead_letters import DEAD_LETTER_HEADERS
from contracts.envelope import parse_schema_uri, schema_file
from contracts.environments import LOCAL_KAFKA_PORT, TEST_KAFKA_PORT
from contracts.examples import example_payloads
from contracts.revisions import REVISION_KEY
from localinfra.config import InfraSettings

ROOT = Path(__file__).resolve().parents[3]
ARTEFACTS = generated_artefacts(REGISTRY, TOPICS)
EXAMPLES = sorted((ROOT / EXAMPLES_DIR).glob("*.json"))


def _load(path: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def test_checked_in_artefacts_are_up_to_date_and_compatible() -> None:
    assert check(ROOT, ARTEFACTS, base=None) == []


def test_there_is_a_golden_example_for_every_event_type() -> None:
    assert sorted(path.stem for path in EXAMPLES) == sorted(REGISTRY.event_types())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_every_golden_example_validates_against_its_json_schema(path: Path) -> None:
    event = _load(path)
    named = parse_schema_uri(str(event["dataschema"]))
    assert named is not None
    schema = _load(ROOT / SCHEMAS_DIR / schema_file(*named))

    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        event["data"]
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_every_golden_example_decodes_to_its_example_payload(path: Path) -> None:
    envelope = from_structured_json(path.read_bytes())

    assert envelope.data == example_payloads()[path.stem]


def test_json_schema_rejects_what_the_models_reject() -> None:
    event = _load(ROOT / EXAMPLES_DIR / "order.paid.json")
    schema = _load(ROOT / SCHEMAS_DIR / "order.paid/v1.json")
    data = dict(event["data"])  # type: ignore[call-overload]
    data["amount"] = {"amount": 295.9, "currency": "CNY"}

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_asyncapi_document_describes_every_topic_and_event() -> None:
    document = _load(ROOT / ASYNCAPI_FILE)
    channels = document["channels"]
    assert isinstance(channels, dict)
    messages = document["components"]["messages"]  # type: ignore[index]

    assert document["asyncapi"] == "3.1.0"
    topic_channels = [c for c in channels.values() if ".dlq." not in c["address"]]
    assert sorted(channel["address"] for channel in topic_channels) == sorted(
        topic.name for topic in TOPICS
    )
    for topic in TOPICS:
        (channel,) = [c for c in channels.values() if c["address"] == topic.name]
        assert list(channel["messages"]) == list(topic.event_types)
        assert channel["bindings"]["kafka"]["partitions"] == topic.partitions
    for event_type in REGISTRY.event_types():
        payload_ref = messages[event_type]["payload"]["$ref"]
        assert (ROOT / "contracts" / payload_ref).is_file()


def test_each_asyncapi_message_fixes_its_ce_type() -> None:
    document = _load(ROOT / ASYNCAPI_FILE)
    messages = document["components"]["messages"]  # type: ignore[index]
    for event_type in REGISTRY.event_types():
        for name in (event_type, f"{event_type}.dead_letter"):
            fixed = messages[name]["headers"]["allOf"][-1]
            assert fixed["properties"]["ce_type"]["const"] == event_type
            assert fixed["required"] == ["ce_type"]


def test_asyncapi_describes_the_dead_letter_topics_and_their_headers() -> None:
    document: dict[str, Any] = json.loads((ROOT / ASYNCAPI_FILE).read_text(encoding="utf-8"))
    channels = document["channels"]
    schemas = document["components"]["schemas"]
    for topic in TOPICS:
        (dead,) = [c for c in channels.values() if c["address"] == f"{topic.name}.dlq.{{group}}"]
        assert "group" in dead["parameters"]
        assert len(dead["messages"]) == len(topic.event_types)
    assert set(schemas["DeadLetterHeaders"]["required"]) == {
        f"dlq_{name}" for name in DEAD_LETTER_HEADERS
    }
    headers = schemas["CloudEventHeaders"]["properties"]
    assert {"ce_traceparent", "ce_tracestate"} <= set(headers)


def test_asyncapi_servers_are_the_local_brokers() -> None:
    document = _load(ROOT / ASYNCAPI_FILE)

    assert {name: server["host"] for name, server in document["servers"].items()} == {  # type: ignore[attr-defined]
        "local": f"127.0.0.1:{LOCAL_KAFKA_PORT}",
        "test": f"127.0.0.1:{TEST_KAFKA_PORT}",
    }
    assert InfraSettings.model_fields["kafka_port"].default == LOCAL_KAFKA_PORT


def test_events_doc_lists_every_topic_event_and_personal_data_field() -> None:
    catalog = (ROOT / CATALOG_FILE).read_text(encoding="utf-8")

    for topic in TOPICS:
        assert f"`{topic.name}`" in catalog
    for event_type in REGISTRY.event_types():
        assert f"### `{event_type}` v{REGISTRY.current_version(event_type)}" in catalog
    assert "- personal data: `receiver`\n" in catalog
    assert "### Personal data: sealed fields" in catalog
    assert f"kcat -b 127.0.0.1:{LOCAL_KAFKA_PORT}" in catalog


def _copy_artefacts(root: Path) -> None:
    write(root, ARTEFACTS)


def _commit_all(root: Path) -> None:
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "published"], check=True)


def test_check_reports_a_stale_artefact(tmp_path: Path) -> None:
    _copy_artefacts(tmp_path)
    (tmp_path / CATALOG_FILE).write_text("# outdated\n", encoding="utf-8")

    assert check(tmp_path, ARTEFACTS, base=None) == [
        "docs/events.md is stale; run `make schemas` and commit the result"
    ]


def test_check_reports_a_breaking_change_against_the_checked_in_schema(tmp_path: Path) -> None:
    _copy_artefacts(tmp_path)
    published = tmp_path / SCHEMAS_DIR / "order.paid/v1.json"
    schema = _load(published)
    schema["properties"]["legacy_ref"] = {"type": "string"}  # type: ignore[index]
    schema["required"].append("legacy_ref")  # type: ignore[attr-defined]
    published.write_text(json.dumps(schema), encoding="utf-8")

    problems = check(tmp_path, ARTEFACTS, base=None)

    assert problems[0].startswith("order.paid v1: field 'legacy_ref': was removed - breaking")


def test_check_compares_against_the_schemas_of_a_git_ref(tmp_path: Path) -> None:
    _copy_artefacts(tmp_path)
    published = tmp_path / SCHEMAS_DIR / "logistics.shipped/v1.json"
    schema = _load(published)
    schema["$defs"]["Waybill"]["properties"]["carrier"]["pattern"] = "^.*$"  # type: ignore[index]
    published.write_text(json.dumps(schema), encoding="utf-8")
    _commit_all(tmp_path)
    _copy_artefacts(tmp_path)  # the working tree now looks regenerated and current

    assert check(tmp_path, ARTEFACTS, base=None) == []
    (problem,) = check(tmp_path, ARTEFACTS, base="HEAD")
    assert problem.startswith("logistics.shipped v1: field 'waybill.carrier': pattern changed")


def test_write_removes_examples_of_event_types_that_no_longer_exist(tmp_path: Path) -> None:
    _copy_artefacts(tmp_path)
    orphan = tmp_path / EXAMPLES_DIR / "order.teleported.json"
    shutil.copy(tmp_path / EXAMPLES_DIR / "order.paid.json", orphan)
    assert check(tmp_path, ARTEFACTS, base=None) != []

    write(tmp_path, ARTEFACTS)

    assert not orphan.exists()
    assert check(tmp_path, ARTEFACTS, base=None) == []


def test_schemas_check_command_fails_with_a_message_naming_event_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _copy_artefacts(tmp_path)
    published = tmp_path / SCHEMAS_DIR / "aftersales.refunded/v1.json"
    schema = _load(published)
    schema["properties"]["refund_channel"] = {"type": "string"}  # type: ignore[index]
    published.write_text(json.dumps(schema), encoding="utf-8")

    exit_code = main(["check", "--root", str(tmp_path)])

    assert exit_code == 1
    assert "aftersales.refunded v1: field 'refund_channel': was removed" in capsys.readouterr().err
    assert main(["write", "--root", str(tmp_path)]) == 0


def test_check_fails_when_a_published_golden_example_no_longer_decodes(tmp_path: Path) -> None:
    _copy_artefacts(tmp_path)
    published = tmp_path / EXAMPLES_DIR / "order.paid.json"
    event = _load(published)
    event["data"]["amount"]["currency"] = "ZZZ"  # type: ignore[index]
    published.write_text(json.dumps(event), encoding="utf-8")
    _commit_all(tmp_path)
    _copy_artefacts(tmp_path)  # the working tree is current; the commit still has the old example

    assert check(tmp_path, ARTEFACTS, base=None) == []
    (problem,) = check(tmp_path, ARTEFACTS, base="HEAD")
    assert problem.startswith("contracts/examples/order.paid.json: no longer decodes")
    assert "amount.currency" in problem


def test_check_command_lists_the_tightenings_it_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _copy_artefacts(tmp_path)
    published = tmp_path / SCHEMAS_DIR / "order.paid/v1.json"
    schema = _load(published)
    del schema[REVISION_KEY]
    del schema["$defs"]["Money"]["properties"]["amount"]["maximum"]  # type: ignore[index]
    published.write_text(json.dumps(schema), encoding="utf-8")

    assert main(["check", "--root", str(tmp_path)]) == 1  # accepted, but the file is stale

    captured = capsys.readouterr()
    assert "contracts: 1 tightenings accepted as declared in revision 2" in captured.out
    assert captured.err.strip() == (
        "schemas-check: contracts/schemas/order.paid/v1.json is stale; "
        "run `make schemas` and commit the result"
    )
