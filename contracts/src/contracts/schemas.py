"""JSON Schema of every event version, generated from the models, deterministic to the byte."""

from __future__ import annotations

import json
from typing import Any

from contracts.envelope import schema_file, schema_uri
from contracts.events.base import EventPayload
from contracts.registry import EventRegistry
from contracts.revisions import CURRENT_REVISION, REVISION_KEY

DIALECT = "https://json-schema.org/draft/2020-12/schema"
JsonSchema = dict[str, Any]
VENDOR_KEYWORDS: tuple[str, ...] = (
    "x-event-type",
    "x-event-version",
    "x-producer",
    REVISION_KEY,
    "x-pii",
    "x-sealed",
)
"""Our annotation keywords (they assert nothing). A validator in strict mode refuses unknown
keywords, so it is told these: ajv `new Ajv2020({strict: true, keywords: VENDOR_KEYWORDS})`
(docs/events.md, "Validating with ajv"). The unit tests hold the schemas to exactly these."""


def _publishable(node: Any) -> Any:
    """Drop what only adds noise or forbids too much: titles that repeat a field's name, and
    `additionalProperties: false` (readers ignore unknown fields, so the published schemas must
    not forbid them either; otherwise adding an optional field would break every consumer that
    validates with an older copy)."""
    if isinstance(node, list):
        return [_publishable(item) for item in node]
    if not isinstance(node, dict):
        return node
    cleaned = {
        key: _publishable(value)
        for key, value in node.items()
        if not (key == "additionalProperties" and value is False)
    }
    for prop in cleaned.get("properties", {}).values():
        if isinstance(prop, dict):
            prop.pop("title", None)
    return cleaned


def event_schema(model: type[EventPayload]) -> JsonSchema:
    """The JSON Schema of one event version's data, with its identity in `$id` and `x-*` (the
    contracts revision too: the gate compares it with the baseline's)."""
    generated = model.model_json_schema()
    return {
        "$schema": DIALECT,
        "$id": schema_uri(model.event_type, model.event_version),
        "x-event-type": model.event_type,
        "x-event-version": model.event_version,
        "x-producer": model.producer.value,
        REVISION_KEY: CURRENT_REVISION,
        **_publishable(generated),
    }


def render(document: Any) -> str:
    """Canonical JSON text: sorted keys, two-space indent, UTF-8 kept readable, final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_files(registry: EventRegistry) -> dict[str, str]:
    """Every version of every event type: path under contracts/schemas/ → schema text."""
    return {
        schema_file(model.event_type, model.event_version): render(event_schema(model))
        for model in registry.all_models()
    }


def pii_fields(schema: JsonSchema) -> list[str]:
    """Dotted paths of the fields marked as personal data, at any depth."""
    found: list[str] = []
    definitions = schema.get("$defs", {})

    def walk(node: JsonSchema, path: str, seen: frozenset[str]) -> None:
        for name, prop in node.get("properties", {}).items():
            where = f"{path}{name}"
            if prop.get("x-pii"):
                found.append(where)
            for ref in _refs(prop):
                if ref not in seen:
                    walk(definitions[ref], f"{where}.", seen | {ref})

    walk(schema, "", frozenset())
    return found


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"].rsplit("/", 1)[-1]] if "$ref" in node else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []
