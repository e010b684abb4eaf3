"""Writes and checks the generated artefacts: `python -m contracts.artefacts write|check`.

`write` regenerates the JSON Schemas, golden examples, AsyncAPI document and docs/events.md;
`check` fails when any of them is stale, a schema changed incompatibly since the baseline, or
a golden example of the baseline no longer decodes; it lists the tightenings it accepted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from contracts.asyncapi import asyncapi_document
from contracts.catalog import REGISTRY
from contracts.catalog_markdown import render_catalog
from contracts.compatibility import Finding, JsonSchema, schema_set_review
from contracts.errors import ContractError
from contracts.examples import example_envelope, example_payloads, example_sealer
from contracts.registry import EventRegistry
from contracts.schemas import schema_files
from contracts.structured import from_structured_json, to_structured_dict
from contracts.topics import TOPICS, TopicSpec

SCHEMAS_DIR = "contracts/schemas"
EXAMPLES_DIR = "contracts/examples"
ASYNCAPI_FILE = "contracts/asyncapi.json"
CATALOG_FILE = "docs/events.md"
DEFAULT_ROOT = Path(__file__).resolve().parents[3]


def _pretty(document: object) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def generated_artefacts(registry: EventRegistry, topics: tuple[TopicSpec, ...]) -> dict[str, str]:
    """Every generated file: path relative to the repository root → content."""
    files = {f"{SCHEMAS_DIR}/{path}": text for path, text in schema_files(registry).items()}
    for position, payload in enumerate(example_payloads().values(), start=1):
        event = to_structured_dict(example_envelope(payload, position))
        files[f"{EXAMPLES_DIR}/{payload.event_type}.json"] = _pretty(event)
    files[ASYNCAPI_FILE] = _pretty(asyncapi_document(registry, topics))
    files[CATALOG_FILE] = render_catalog(registry, topics)
    return files


def write(root: Path, artefacts: dict[str, str]) -> list[str]:
    """Write the artefacts that differ and drop examples of types that no longer exist.

    Schema files are never deleted here: removing a published version is a breaking change
    that `check` reports.
    """
    changed = [path for path, text in artefacts.items() if _read(root / path) != text]
    for path in changed:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(artefacts[path], encoding="utf-8")
    for stale in _stale_examples(root, artefacts):
        stale.unlink()
        changed.append(str(stale.relative_to(root)))
    return changed


def check(root: Path, artefacts: dict[str, str], base: str | None) -> list[str]:
    """Problems that should fail CI: incompatible schema changes first, then stale files."""
    return [str(finding) for finding in review(root, artefacts, base) if not finding.accepted]


def review(root: Path, artefacts: dict[str, str], base: str | None) -> list[Finding]:
    """Every finding of `check`, the accepted tightenings included (first, by schema)."""
    current = {
        path.removeprefix(f"{SCHEMAS_DIR}/"): json.loads(text)
        for path, text in artefacts.items()
        if path.startswith(f"{SCHEMAS_DIR}/")
    }
    baselines = [_checked_in_schemas(root)]
    examples = [_checked_in_examples(root)]
    if base is not None:
        baselines.append(_schemas_at(root, base))
        examples.append(_files_at(root, base, EXAMPLES_DIR))
    findings: list[Finding] = []
    for baseline in baselines:
        findings += [f for f in schema_set_review(baseline, current) if f not in findings]
    # A tightening must leave what was published readable: the baseline's golden examples.
    for published in examples:
        findings += [f for f in _undecodable(published) if f not in findings]
    problems: list[str] = []
    for path, text in artefacts.items():
        if _read(root / path) != text:
            problems.append(f"{path} is stale; run `make schemas` and commit the result")
    for stale in _stale_examples(root, artefacts):
        problems.append(f"{stale.relative_to(root)} has no event type; run `make schemas`")
    return findings + [Finding("", problem) for problem in problems]


def _undecodable(examples: dict[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    for path, text in sorted(examples.items()):
        try:
            # A baseline example older than a sealing upcaster is sealed as the examples are.
            from_structured_json(text, sealer=example_sealer)
        except ContractError as error:
            problem = f"no longer decodes with the current contracts ({error})"
            findings.append(Finding(f"{EXAMPLES_DIR}/{path}", problem))
    return findings


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _stale_examples(root: Path, artefacts: dict[str, str]) -> list[Path]:
    folder = root / EXAMPLES_DIR
    if not folder.is_dir():
        return []
    return [
        path
        for path in sorted(folder.glob("*.json"))
        if str(path.relative_to(root)) not in artefacts
    ]


def _checked_in_schemas(root: Path) -> dict[str, JsonSchema]:
    folder = root / SCHEMAS_DIR
    return {
        str(path.relative_to(folder)): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*/v*.json"))
    }


def _checked_in_examples(root: Path) -> dict[str, str]:
    folder = root / EXAMPLES_DIR
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.json"))}


def _schemas_at(root: Path, ref: str) -> dict[str, JsonSchema]:
    """The schemas as committed at a git ref (the baseline CI compares a change against)."""
    return {path: json.loads(text) for path, text in _files_at(root, ref, SCHEMAS_DIR).items()}


def _files_at(root: Path, ref: str, folder: str) -> dict[str, str]:
    """The JSON files under `folder` as committed at a git ref, by path relative to it."""

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise SystemExit(f"schemas-check: git {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    listed = git("ls-tree", "-r", "--name-only", ref, "--", folder).splitlines()
    return {
        path.removeprefix(f"{folder}/"): git("show", f"{ref}:{path}")
        for path in listed
        if path.endswith(".json")
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.artefacts", description=__doc__)
    parser.add_argument("command", choices=("write", "check"))
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="repository root")
    parser.add_argument(
        "--base", default=None, help="git ref whose schemas are the compatibility baseline"
    )
    args = parser.parse_args(argv)
    artefacts = generated_artefacts(REGISTRY, TOPICS)
    if args.command == "write":
        changed = write(args.root, artefacts)
        print(f"contracts: {len(artefacts)} artefacts, {len(changed)} updated")
        for path in changed:
            print(f"  updated {path}")
        return 0
    findings = review(args.root, artefacts, args.base)
    accepted = [finding for finding in findings if finding.accepted]
    for revision in sorted({finding.accepted_as for finding in accepted if finding.accepted_as}):
        count = sum(finding.accepted_as == revision for finding in accepted)
        print(f"contracts: {count} tightenings accepted as declared in revision {revision}")
    problems = [finding for finding in findings if not finding.accepted]
    for problem in problems:
        print(f"schemas-check: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"contracts: {len(artefacts)} artefacts up to date and compatible")
    return 0


if __name__ == "__main__":
    sys.exit(main())
