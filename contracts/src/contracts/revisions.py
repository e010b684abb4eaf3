"""The changelog of tightenings: bounds narrowed inside an event version, each one recorded here.

Every generated schema carries the current revision as `x-contract-revision`; the compatibility
gate accepts a narrowed bound only when a revision newer than the baseline's declares it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Final

REVISION_KEY: Final = "x-contract-revision"
"""The JSON Schema annotation naming the revision a schema was generated at (absent: 1)."""


@dataclass(frozen=True, slots=True)
class Tightening:
    """One kind of bound narrowed on some fields, and why readers and stored events are safe."""

    keyword: str
    """The JSON Schema keyword narrowed: `maximum`, `minimum`, `maxLength`, `minLength`,
    `pattern` or `enum`."""
    fields: tuple[str, ...]
    """Dotted field paths it applies to, as shell patterns (`*amount`, `items[].quantity`)."""
    why_safe: str

    def covers(self, keyword: str, path: str) -> bool:
        """Whether this tightening declares `keyword` narrowed on the field at `path`."""
        return keyword == self.keyword and any(fnmatchcase(path, field) for field in self.fields)


@dataclass(frozen=True, slots=True)
class Revision:
    """A numbered, documented set of tightenings applied to every event version at once."""

    number: int
    summary: str
    tightenings: tuple[Tightening, ...] = ()


_PATTERNS = (
    "identifiers refuse spaces and control characters, names control characters, free text "
    "NUL: PostgreSQL jsonb never stored NUL or a lone surrogate, the services issue their ids "
    "without spaces, and a name with a control character cannot be printed on a label"
)

REVISIONS: Final[tuple[Revision, ...]] = (
    Revision(1, "The contracts as first published."),
    Revision(
        2,
        "Issue 14, the edge contract: one bounded vocabulary (contracts.values) for amounts, "
        "quantities, currencies, countries, identifiers and text.",
        (
            Tightening(
                "maximum",
                ("*amount", "*quantity", "*requested", "*available", "*warning_line"),
                "amounts above 2^53 - 1 lose precision in JSON readers and amounts above 2^63 "
                "were dead-lettered by every consumer (int64); quantities and stock figures "
                "above 10^6 and 10^9 were never accepted by the shops' stock rules",
            ),
            Tightening(
                "maximum",
                ("*purchase_limit",),
                "a purchase limit is a quantity, bounded like one",
            ),
            Tightening(
                "enum",
                ("*currency", "*country"),
                "the services priced and shipped only in ISO codes; any other code was a value "
                "no consumer could convert or route",
            ),
            Tightening("pattern", ("*",), _PATTERNS),
            Tightening(
                "maxLength",
                ("*receiver.name", "*receiver.phone", "*carrier", "attachments[]"),
                "names, phones, carrier codes and links were already bounded by the APIs or by "
                "their pattern; the schema now states it",
            ),
            Tightening(
                "minLength",
                ("*receiver.name", "*receiver.phone", "failure_code", "attachments[]"),
                "an empty receiver, provider code or link was never produced (placement and "
                "payment refuse them); the schema now states it",
            ),
        ),
    ),
    Revision(
        3,
        "Issue 14, item 8: an identifier is not made of dots only, so every identifier can "
        "stand in a URL path segment.",
        (
            Tightening(
                "pattern",
                (
                    "*_id",
                    "*sku",
                    "*tracking_number",
                    "failure_code",
                ),
                "`.` and `..` are dot segments every HTTP client removes from a path "
                "(RFC 3986 5.2.4), so such an id could never be addressed (its stock, order or "
                "case answered 404); the services issue no such id and the APIs refuse one",
            ),
        ),
    ),
)

CURRENT_REVISION: Final = REVISIONS[-1].number


def schema_revision(schema: dict[str, object]) -> int:
    """The revision a schema was generated at (schemas from before revisions count as 1)."""
    revision = schema.get(REVISION_KEY, 1)
    return revision if isinstance(revision, int) else 1


def declaring_revision(keyword: str, path: str, since: int, until: int) -> Revision | None:
    """The revision in `(since, until]` that declares `keyword` narrowed on `path`, if any."""
    for revision in REVISIONS:
        if since < revision.number <= until and any(
            tightening.covers(keyword, path) for tightening in revision.tightenings
        ):
            return revision
    return None
