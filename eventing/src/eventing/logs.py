"""A service process's logging: structlog and stdlib logging (uvicorn, SQLAlchemy, aiokafka, the
HTTP guard) rendered as the same console lines, with personal data redacted (`redaction`) and
tracebacks written without local variables.
"""

from __future__ import annotations

import logging
import sys

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from eventing.redaction import REDACTED, personal_keys, redact

# Keys the stdlib bridge (ProcessorFormatter) keeps in the event dict for itself.
_BRIDGE_KEYS = frozenset({"_record", "_from_structlog"})
# uvicorn installs its own handlers; its lines (an error escaping the app too) must pass here.
# `uvicorn.error` has none and propagates to `uvicorn`.
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def redact_personal_data(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: every value redacted (`redaction.redact`), the rendered traceback
    included, so no renderer after it sees a personal field, a phone or an SQL parameter."""
    keys = personal_keys()
    return {
        key: value if key in _BRIDGE_KEYS else REDACTED if key in keys else redact(value)
        for key, value in event_dict.items()
    }


def _processors() -> list[Processor]:
    """structlog's default chain, with the traceback rendered to text (plain: no locals, which
    the Rich renderer would print) before the redaction, and the redaction before the renderer."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.StackInfoRenderer(),
        structlog.dev.set_exc_info,
        structlog.processors.TimeStamper(fmt="%Y-%m-%d %H:%M:%S", utc=False),
        structlog.processors.format_exc_info,
        redact_personal_data,
    ]


def _renderer() -> structlog.dev.ConsoleRenderer:
    return structlog.dev.ConsoleRenderer(
        colors=False, exception_formatter=structlog.dev.plain_traceback
    )


class _StandardErrorHandler(logging.Handler):
    """Writes to whatever `sys.stderr` is when a record comes (as logging's last-resort handler
    does), so a test that captures stderr, or a runner that swaps it, still sees the lines."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # logging's contract: report through handleError, never raise
            self.handleError(record)


def log_threshold(level: str) -> int:
    """The stdlib number of a level name (`LOG_LEVEL`: debug, info, warning, error, critical);
    a name logging does not know is refused at start-up, not taken as "log everything"."""
    known = logging.getLevelNamesMapping()
    name = level.strip().upper()
    if name not in known or name == "NOTSET":
        raise ValueError(f"unknown log level {level!r}: debug, info, warning, error or critical")
    return known[name]


def configure_logging(level: str = "info") -> None:
    """Route structlog (to stdout, as before) and stdlib logging (to stderr) through the
    redaction, both at `level` and above (the service's `LOG_LEVEL`; libraries keep their own
    loggers' levels, so aiokafka still says only its warnings); idempotent, so every app a
    process builds may call it."""
    threshold = log_threshold(level)
    personal_keys()  # derived from the contracts once, not on the first log line
    structlog.configure(
        processors=[*_processors(), _renderer()],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=False,
    )
    handler = _StandardErrorHandler(threshold)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_processors(),
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, _renderer()],
        )
    )
    root = logging.getLogger()
    for previous in [h for h in root.handlers if isinstance(h, _StandardErrorHandler)]:
        root.removeHandler(previous)
    root.addHandler(handler)
    for name in _UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        if uvicorn_logger.handlers:  # none: uvicorn silenced it (`--no-access-log`); keep so
            uvicorn_logger.handlers.clear()
            uvicorn_logger.propagate = True
