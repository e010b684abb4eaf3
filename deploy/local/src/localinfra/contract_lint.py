"""The outside validators over our interface documents: `make lint` runs `python -m
localinfra.contract_lint`.

- openapi-spec-validator and Spectral (`spectral:oas`) on the OpenAPI document of every
  service (built from its app, as `/openapi.json` serves it);
- `asyncapi validate` (AsyncAPI CLI, governance rules included) on contracts/asyncapi.json;
- ajv in strict mode on every JSON Schema under contracts/schemas, with the golden examples.

The Node tools are pinned by tools/contract-lint/package-lock.json (`npm ci` there; `.ci/run`
does it). Any error fails, and so does any warning, info or hint not listed in
tools/contract-lint/allow-list.txt, the reviewed exceptions (one per line with its reason).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from openapi_spec_validator import validate
from openapi_spec_validator.exceptions import OpenAPISpecValidatorError
from openapi_spec_validator.readers import read_from_filename
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from contracts.schemas import VENDOR_KEYWORDS
from localinfra.config import REPO_ROOT

TOOLS = REPO_ROOT / "tools" / "contract-lint"
ALLOW_LIST = TOOLS / "allow-list.txt"
DOCUMENTED_APPS = ("order", "logistics", "aftersales", "dashboard")
_SEVERITIES = ("error", "warning", "info", "hint")  # Spectral's 0..3


@dataclass(frozen=True, slots=True)
class Finding:
    """One diagnostic: which tool, on which document, which rule, where, how bad, what."""

    tool: str
    document: str
    rule: str
    where: str
    severity: str
    message: str

    @property
    def key(self) -> str:
        """How the allow-list names it: `<tool> <document> <rule> <where>`."""
        return f"{self.tool} {self.document} {self.rule} {self.where}"

    def __str__(self) -> str:
        return f"{self.severity}: {self.key}: {self.message}"


def openapi_documents(folder: Path) -> dict[str, Path]:
    """Each service's OpenAPI document, written to `folder` (`<service>.openapi.json`)."""
    # The apps are only built, never started: nothing connects to these.
    os.environ.setdefault("DATABASE_URL", "postgresql://lint@127.0.0.1:1/lint")
    os.environ.setdefault("RUN_WORKERS", "false")
    written: dict[str, Path] = {}
    for name in DOCUMENTED_APPS:
        app: FastAPI = importlib.import_module(f"{name}_service.main").create_app()
        path = folder / f"{name}.openapi.json"
        path.write_text(json.dumps(app.openapi(), indent=2), encoding="utf-8")
        written[name] = path
    return written


def spec_validator(documents: dict[str, Path]) -> list[Finding]:
    findings = []
    for name, path in documents.items():
        spec, _ = read_from_filename(str(path))
        try:
            validate(spec)
        except (OpenAPIValidationError, OpenAPISpecValidatorError) as error:
            first = str(error).splitlines()[0]
            findings.append(Finding("openapi-spec-validator", name, "valid", "-", "error", first))
    return findings


def spectral(documents: dict[str, Path]) -> list[Finding]:
    findings = []
    for name, path in documents.items():
        output = _node(
            "spectral", "lint", str(path), "--ruleset", str(TOOLS / ".spectral.yaml"),
            "--format", "json", "--quiet", "--fail-severity", "error",
        )  # fmt: skip
        for item in json.loads(output or "[]"):
            findings.append(
                Finding(
                    "spectral",
                    name,
                    item["code"],
                    ".".join(str(part) for part in item["path"]) or "-",
                    _SEVERITIES[item["severity"]],
                    item["message"],
                )
            )
    return findings


def asyncapi(document: Path) -> list[Finding]:
    output = _node(
        "asyncapi", "validate", str(document), "--diagnostics-format", "json",
        "--fail-severity", "hint", env={"CI": "true"},
    )  # fmt: skip
    start = output.find("[")
    diagnostics: list[dict[str, Any]] = json.loads(output[start : output.rfind("]") + 1])
    if "is valid" not in output and not diagnostics:
        return [Finding("asyncapi", document.name, "valid", "-", "error", output.strip())]
    return [
        Finding(
            "asyncapi",
            document.name,
            str(item["code"]),
            ".".join(str(part) for part in item["path"]) or "-",
            _SEVERITIES[item["severity"]],
            item["message"],
        )
        for item in diagnostics
    ]


def ajv_strict(schemas: Path, examples: Path) -> tuple[list[Finding], str]:
    result = subprocess.run(
        ["node", str(TOOLS / "ajv-strict.mjs"), str(schemas), str(examples), *VENDOR_KEYWORDS],
        capture_output=True,
        text=True,
        check=False,
        cwd=TOOLS,
    )
    lines = result.stdout.splitlines()
    findings = [
        Finding("ajv", "contracts/schemas", "strict", "-", "error", line.removeprefix("ajv: "))
        for line in lines
        if line.startswith("ajv: ")
    ]
    if result.returncode != 0 and not findings:
        findings.append(Finding("ajv", "contracts/schemas", "run", "-", "error", result.stderr))
    return findings, lines[-1] if lines else ""


def allowed(path: Path = ALLOW_LIST) -> set[str]:
    """The keys of the allow-list (everything before ` # reason`); a key without a reason is
    refused, so every exception says why it was accepted."""
    if not path.is_file():
        return set()
    keys = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, reason = line.partition(" # ")
        if key.strip() and not key.startswith("#"):
            if not reason.strip():
                raise SystemExit(f"contract-lint: {path}: no reason for {key.strip()!r}")
            keys.add(key.strip())
    return keys


def _node(tool: str, *args: str, env: dict[str, str] | None = None) -> str:
    binary = TOOLS / "node_modules" / ".bin" / tool
    if not binary.is_file():
        raise SystemExit(f"contract-lint: {binary} is missing: run `npm ci` in {TOOLS}")
    result = subprocess.run(
        [str(binary), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    return result.stdout


def report(findings: Iterable[Finding], exceptions: set[str]) -> tuple[list[Finding], int]:
    """The findings that fail (errors, and anything not allowed), and how many were allowed."""
    failing, allowed_count = [], 0
    for finding in findings:
        if finding.severity != "error" and finding.key in exceptions:
            allowed_count += 1
        else:
            failing.append(finding)
    return failing, allowed_count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localinfra.contract_lint", description=__doc__)
    parser.add_argument("--root", type=Path, default=REPO_ROOT)
    args = parser.parse_args(argv)
    exceptions = allowed()
    failing_total = 0
    with tempfile.TemporaryDirectory(prefix="contract-lint-") as folder:
        documents = openapi_documents(Path(folder))
        ajv_findings, ajv_summary = ajv_strict(
            args.root / "contracts" / "schemas", args.root / "contracts" / "examples"
        )
        runs = {
            "openapi-spec-validator": spec_validator(documents),
            "spectral (spectral:oas)": spectral(documents),
            "asyncapi validate": asyncapi(args.root / "contracts" / "asyncapi.json"),
            "ajv (strict)": ajv_findings,
        }
    for tool, findings in runs.items():
        failing, allowed_count = report(findings, exceptions)
        failing_total += len(failing)
        for finding in failing:
            print(f"contract-lint: {finding}", file=sys.stderr)
        detail = f" ({ajv_summary})" if tool == "ajv (strict)" else ""
        print(
            f"contract-lint: {tool}: {len(findings)} findings, {allowed_count} allowed, "
            f"{len(failing)} failing{detail}"
        )
    return 1 if failing_total else 0


if __name__ == "__main__":
    sys.exit(main())
