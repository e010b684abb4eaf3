"""Whether a changed JSON Schema is still compatible with the version it replaces.

Within one version the new schema must (1) accept every event the old one accepted, so stored
events stay readable, and (2) keep every field, and keep required fields required, so readers
built on the old schema still find what they rely on. Adding an optional field or widening an
enum or a constraint is compatible. Narrowing a bound (a `tightening`) keeps (2) but not (1): it
is accepted only when a newer revision in `contracts.revisions` declares it. Anything else needs
a new version and an upcaster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts.revisions import declaring_revision, schema_revision

JsonSchema = dict[str, Any]

# Constraints where a larger new value rejects values the old schema accepted, and vice versa.
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")
_EXACT = ("pattern", "format")


@dataclass(frozen=True, slots=True)
class Breach:
    """One incompatible difference, located by the dotted path of the field; `tightening` names
    the keyword when the difference only narrows a bound (a revision may declare it)."""

    path: str
    problem: str
    tightening: str | None = None

    def __str__(self) -> str:
        return f"field {self.path!r}: {self.problem}" if self.path else self.problem


def breaking_changes(old: JsonSchema, new: JsonSchema) -> list[Breach]:
    """Every incompatible difference between two schemas of the same event version."""
    return _Comparison(old, new).compare(old, new, "")


class _Comparison:
    def __init__(self, old_root: JsonSchema, new_root: JsonSchema) -> None:
        self._old_defs: JsonSchema = old_root.get("$defs", {})
        self._new_defs: JsonSchema = new_root.get("$defs", {})
        self._in_progress: set[tuple[str, str]] = set()

    def compare(self, old: JsonSchema, new: JsonSchema, path: str) -> list[Breach]:
        refs = (old.get("$ref", ""), new.get("$ref", ""))
        if refs[0] and refs[1]:
            if refs in self._in_progress:  # a recursive type already being compared
                return []
            self._in_progress.add(refs)
        old, new = _resolve(old, self._old_defs), _resolve(new, self._new_defs)
        old_branches, new_branches = _branches(old), _branches(new)
        if len(old_branches) > 1 or len(new_branches) > 1:
            return self._compare_alternatives(old_branches, new_branches, path)
        return self._compare_single(old, new, path)

    def _compare_alternatives(
        self, old_branches: list[JsonSchema], new_branches: list[JsonSchema], path: str
    ) -> list[Breach]:
        breaches: list[Breach] = []
        for old_branch in old_branches:
            old_branch = _resolve(old_branch, self._old_defs)
            kind = _kind(old_branch)
            matches = [
                branch
                for branch in (_resolve(b, self._new_defs) for b in new_branches)
                if _kind(branch) == kind or (kind == "integer" and _kind(branch) == "number")
            ]
            if not matches:
                lost = "null" if kind == "null" else kind
                breaches.append(Breach(path, f"no longer accepts {lost}"))
                continue
            breaches.extend(self._compare_single(old_branch, matches[0], path))
        return breaches

    def _compare_single(self, old: JsonSchema, new: JsonSchema, path: str) -> list[Breach]:
        breaches = _compare_types(old, new, path)
        if breaches:
            return breaches
        breaches += _compare_enums(old, new, path)
        breaches += _compare_constraints(old, new, path)
        if "properties" in old or "properties" in new:
            breaches += self._compare_objects(old, new, path)
        if "items" in old and "items" in new:
            breaches += self.compare(old["items"], new["items"], f"{path}[]")
        return breaches

    def _compare_objects(self, old: JsonSchema, new: JsonSchema, path: str) -> list[Breach]:
        breaches: list[Breach] = []
        old_props: JsonSchema = old.get("properties", {})
        new_props: JsonSchema = new.get("properties", {})
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        prefix = f"{path}." if path else ""
        for name, old_prop in old_props.items():
            if name not in new_props:
                breaches.append(Breach(prefix + name, "was removed"))
                continue
            if name in old_required and name not in new_required:
                breaches.append(Breach(prefix + name, "is no longer required"))
            breaches.extend(self.compare(old_prop, new_props[name], prefix + name))
        for name in sorted(new_required - old_required):
            problem = "became required" if name in old_props else "was added as a required field"
            breaches.append(Breach(prefix + name, problem))
        return breaches


def _resolve(node: JsonSchema, definitions: JsonSchema) -> JsonSchema:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        node = {**definitions[name], **siblings}
    return node


def _branches(node: JsonSchema) -> list[JsonSchema]:
    return list(node.get("anyOf") or node.get("oneOf") or [node])


def _kind(node: JsonSchema) -> str:
    if "type" in node:
        return str(node["type"])
    if "const" in node:
        return type(node["const"]).__name__
    return "any"


def _types(node: JsonSchema) -> set[str]:
    declared = node.get("type")
    if declared is None:
        return set()
    types = {declared} if isinstance(declared, str) else set(declared)
    return types | ({"integer"} if "number" in types else set())


def _compare_types(old: JsonSchema, new: JsonSchema, path: str) -> list[Breach]:
    old_types, new_types = _types(old), _types(new)
    if not new_types or old_types <= new_types:
        return []
    if not old_types:
        return [Breach(path, f"was of any type, now only {sorted(new_types)}")]
    return [Breach(path, f"type changed from {_show(old_types)} to {_show(new_types)}")]


def _show(types: set[str]) -> str:
    return " or ".join(sorted(types - {"integer"} if "number" in types else types))


def _allowed_values(node: JsonSchema) -> list[Any] | None:
    if "const" in node:
        return [node["const"]]
    values = node.get("enum")
    return None if values is None else list(values)


def _compare_enums(old: JsonSchema, new: JsonSchema, path: str) -> list[Breach]:
    old_values, new_values = _allowed_values(old), _allowed_values(new)
    if new_values is None:
        return []
    if old_values is None:
        shown = f"{new_values[:5]}{' ...' if len(new_values) > 5 else ''}"
        return [Breach(path, f"now restricted to {len(new_values)} values {shown}", "enum")]
    removed = [value for value in old_values if value not in new_values]
    return [Breach(path, f"no longer accepts {removed} (enum narrowed)", "enum")] if removed else []


def _compare_constraints(old: JsonSchema, new: JsonSchema, path: str) -> list[Breach]:
    breaches: list[Breach] = []
    for key in _LOWER_BOUNDS:
        if key in new and (key not in old or new[key] > old[key]):
            breaches.append(Breach(path, f"{key} tightened from {old.get(key)} to {new[key]}", key))
    for key in _UPPER_BOUNDS:
        if key in new and (key not in old or new[key] < old[key]):
            breaches.append(Breach(path, f"{key} tightened from {old.get(key)} to {new[key]}", key))
    for key in _EXACT:
        if key in new and new.get(key) != old.get(key):
            # A pattern cannot be proved narrower; a declared one is taken at its word.
            breach = Breach(path, f"{key} changed from {old.get(key)!r} to {new[key]!r}", key)
            breaches.append(breach)
    return breaches


def schema_set_problems(
    baseline: dict[str, JsonSchema], current: dict[str, JsonSchema]
) -> list[str]:
    """What keeps `current` from replacing `baseline`; both map `<type>/v<N>.json` to a schema.

    A version that disappears or changes incompatibly is reported with the way out: publish the
    change as the next version with an upcaster, or, for a narrowed bound, declare it in a new
    revision (`contracts.revisions`).
    """
    findings = schema_set_review(baseline, current)
    return [str(finding) for finding in findings if not finding.accepted]


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference between a published schema and its replacement, and the gate's verdict."""

    label: str
    problem: str
    accepted_as: int | None = None
    """The revision that declares this tightening, when the gate accepted it."""

    @property
    def accepted(self) -> bool:
        return self.accepted_as is not None

    def __str__(self) -> str:
        return f"{self.label}: {self.problem}" if self.label else self.problem


def schema_set_review(
    baseline: dict[str, JsonSchema], current: dict[str, JsonSchema]
) -> list[Finding]:
    """Every difference that is not plainly compatible, each accepted or not (see
    `schema_set_problems`); accepted ones are tightenings a newer revision declares."""
    findings: list[Finding] = []
    for path in sorted(baseline):
        event_type, _, file_name = path.partition("/")
        version = file_name.removeprefix("v").removesuffix(".json")
        label = f"{event_type} v{version}"
        if path not in current:
            problem = (
                "schema was published but the version is no longer registered; "
                "events already written with it must stay readable"
            )
            findings.append(Finding(label, problem))
            continue
        since, until = schema_revision(baseline[path]), schema_revision(current[path])
        for breach in breaking_changes(baseline[path], current[path]):
            findings.append(_verdict(label, event_type, breach, since, until))
    return findings


def _verdict(label: str, event_type: str, breach: Breach, since: int, until: int) -> Finding:
    if breach.tightening is None:
        way_out = f"publish it as a new version of {event_type} with an upcaster instead"
        return Finding(label, f"{breach} - breaking; {way_out} (docs/schema-evolution.md)")
    revision = declaring_revision(breach.tightening, breach.path, since, until)
    if revision is not None:
        declared = f"{breach} - tightening declared in revision {revision.number}"
        return Finding(label, declared, revision.number)
    way_out = (
        f"declare it in a new revision (contracts/revisions.py, now {until}) or publish it as "
        f"a new version of {event_type} with an upcaster"
    )
    return Finding(label, f"{breach} - breaking; {way_out} (docs/schema-evolution.md)")
