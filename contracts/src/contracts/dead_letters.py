"""The dead-letter topics' contract: their names and the `dlq_*` headers added to each record.

A subscription group that cannot apply an event publishes the record unchanged (key, value and
`ce_*` headers) to `<topic>.dlq.<group>` with these headers appended (`eventing.dead_letters`
writes them, the AsyncAPI document describes them, `orderctl dlq` reads them).
"""

from __future__ import annotations

from typing import Final

DEAD_LETTER_INFIX: Final = ".dlq."
ERROR_HEADER_PREFIX: Final = "dlq_"

DEAD_LETTER_HEADERS: Final[dict[str, str]] = {
    "error": "Why the group could not apply the event (personal data scrubbed; at most 2000 "
    "characters): the exception's message and, for handler failures, its traceback.",
    "error_type": "Fully qualified class of the exception, e.g. `sqlalchemy.exc.DBAPIError`.",
    "origin_topic": "The topic the event was consumed from.",
    "origin_partition": "Its partition there (decimal).",
    "origin_offset": "Its offset there (decimal).",
    "group": "The consumer group that dead-lettered it.",
    "attempts": "How many times the handler was tried (0: the record did not decode).",
    "failed_at": "When it was dead-lettered, RFC 3339 in UTC.",
}
"""Every header a dead letter carries on top of the original ones, without the prefix."""


def dead_letter_topic(topic: str, group: str) -> str:
    """The dead-letter topic of one subscription group on one source topic."""
    return f"{topic}{DEAD_LETTER_INFIX}{group}"
