"""Path parameters: an id in a path is held to the `contracts.values.Identifier` rule, as it is in
a body, so a path no id can match answers 422 problem+json before any query or lookup runs (an
id filter in a query string the same, with `identifier_query`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

from contracts.values import IDENTIFIER_PATTERN, MAX_IDENTIFIER_LENGTH


def identifier_path(description: str, *, parameter: Any = Path) -> Any:
    """A path parameter (`parameter=Query`: a query parameter) holding an identifier (1 to 64
    characters, `IDENTIFIER_PATTERN`)."""
    return parameter(
        min_length=1,
        max_length=MAX_IDENTIFIER_LENGTH,
        pattern=IDENTIFIER_PATTERN,
        description=description,
    )


def identifier_query(description: str) -> Any:
    """A query parameter holding an identifier, as `identifier_path` holds one in a path."""
    return identifier_path(description, parameter=Query)


OrderId = Annotated[str, identifier_path("The order id.")]
ShopId = Annotated[str, identifier_path("The shop id.")]
