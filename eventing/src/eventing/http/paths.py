"""Path parameters: an id in a path is held to the `contracts.values.Identifier` rule, as it is in
a body, so a path no id can match answers 422 problem+json before any query or lookup runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from contracts.values import IDENTIFIER_PATTERN, MAX_IDENTIFIER_LENGTH


def identifier_path(description: str) -> Any:
    """A path parameter holding an identifier (1 to 64 characters, `IDENTIFIER_PATTERN`)."""
    return Path(
        min_length=1,
        max_length=MAX_IDENTIFIER_LENGTH,
        pattern=IDENTIFIER_PATTERN,
        description=description,
    )


OrderId = Annotated[str, identifier_path("The order id.")]
ShopId = Annotated[str, identifier_path("The shop id.")]
