"""`make lint`'s contract validators fail on errors always, and on other findings unless the
reviewed allow-list names them with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from localinfra.contract_lint import ALLOW_LIST, Finding, allowed, report

WARNING = Finding("spectral", "order", "operation-description", "paths./x.get", "warning", "…")
ERROR = Finding("spectral", "order", "oas3-schema", "paths./x.get", "error", "…")


def test_an_allowed_warning_passes_and_an_error_never_does(tmp_path: Path) -> None:
    listed = tmp_path / "allow-list.txt"
    listed.write_text(f"# reviewed\n{WARNING.key} # kept for a reason\n{ERROR.key} # no\n")

    failing, allowed_count = report([WARNING, ERROR], allowed(listed))

    assert (failing, allowed_count) == ([ERROR], 1)


def test_a_warning_not_listed_fails(tmp_path: Path) -> None:
    assert report([WARNING], allowed(tmp_path / "absent.txt")) == ([WARNING], 0)


def test_an_exception_without_a_reason_is_refused(tmp_path: Path) -> None:
    listed = tmp_path / "allow-list.txt"
    listed.write_text(f"{WARNING.key}\n")

    with pytest.raises(SystemExit, match="no reason"):
        allowed(listed)


def test_the_checked_in_allow_list_names_tool_document_rule_and_place() -> None:
    assert ALLOW_LIST.is_file()
    assert all(len(key.split(" ", 3)) == 4 for key in allowed(ALLOW_LIST))
