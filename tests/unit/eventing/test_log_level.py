"""A service logs at its `LOG_LEVEL` (issue 23: the setting was documented and did nothing)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

from eventing.logs import configure_logging


@pytest.fixture
def root_handlers() -> Iterator[None]:
    """The root logger's handlers put back after the test (structlog's: tests/conftest.py)."""
    root = logging.getLogger()
    saved = root.handlers[:]
    try:
        yield
    finally:
        root.handlers[:] = saved


def _log_both(name: str) -> None:
    structlog.get_logger("t").info(f"{name}.info")
    structlog.get_logger("t").warning(f"{name}.warning")
    logging.getLogger("t.stdlib").warning(f"{name}.stdlib_warning")
    logging.getLogger("t.stdlib").error(f"{name}.stdlib_error")


@pytest.mark.usefixtures("root_handlers")
def test_the_default_level_logs_the_info_events_the_docs_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging()
    _log_both("default")
    out, err = capsys.readouterr()
    assert "default.info" in out
    assert "default.warning" in out
    assert "default.stdlib_warning" in err


@pytest.mark.usefixtures("root_handlers")
def test_a_higher_level_leaves_out_what_is_below_it(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("error")
    _log_both("strict")
    out, err = capsys.readouterr()
    assert "strict.info" not in out
    assert "strict.warning" not in out
    assert "strict.stdlib_warning" not in err
    assert "strict.stdlib_error" in err


@pytest.mark.parametrize("level", ["loud", "notset", ""])
def test_an_unknown_level_is_refused(level: str) -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging(level)
