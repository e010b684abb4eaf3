"""Who is calling: HS256 bearer tokens carrying a subject, a role and (sellers) a shop.

Tokens come from the platform's identity service in production; `TokenIssuer` mints them with
the same key for tests, demos and operators. Endpoints declare `caller: CurrentCaller` (401
without a valid token) or `Depends(require_roles(...))` (403 for other roles).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from contracts.parties import Actor
from contracts.values import MAX_ATTRIBUTE_LENGTH, MAX_IDENTIFIER_LENGTH, attribute_refusal
from eventing.http.problems import ProblemError

ALGORITHM = "HS256"
ISSUER = "orderflow"
_LEEWAY = timedelta(seconds=30)
MAX_SUBJECT_LENGTH = MAX_ATTRIBUTE_LENGTH  # the envelope's `actorid` limit
MAX_SHOP_ID_LENGTH = MAX_IDENTIFIER_LENGTH  # `contracts.values.Identifier`


class Role(StrEnum):
    """What a caller is to the platform."""

    BUYER = "buyer"
    SELLER = "seller"  # staff of one shop (customer service, warehouse)
    PLATFORM = "platform"  # arbitration staff
    OPS = "ops"  # operators: read everything, personal data masked
    SYSTEM = "system"  # other systems: channels, carriers' feeds, ERP


_ACTORS = {
    Role.BUYER: Actor.BUYER,
    Role.SELLER: Actor.SELLER,
    Role.PLATFORM: Actor.PLATFORM,
    Role.OPS: Actor.PLATFORM,
    Role.SYSTEM: Actor.SYSTEM,
}


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller of a request."""

    role: Role
    subject: str
    shop_id: str | None = None

    @property
    def actor(self) -> Actor:
        """The actor recorded on events this caller causes (ops act as the platform)."""
        return _ACTORS[self.role]

    @property
    def sees_everything(self) -> bool:
        """Platform, ops and system callers are not limited to one buyer or shop."""
        return self.role in (Role.PLATFORM, Role.OPS, Role.SYSTEM)

    def is_buyer(self, buyer_id: str) -> bool:
        return self.role is Role.BUYER and self.subject == buyer_id

    def is_seller_of(self, shop_id: str) -> bool:
        return self.role is Role.SELLER and self.shop_id == shop_id


class TokenIssuer:
    """Mints bearer tokens signed with the services' key."""

    def __init__(self, secret: str, *, ttl: timedelta = timedelta(hours=12)) -> None:
        self._secret = secret
        self._ttl = ttl

    def issue(
        self,
        role: Role | str,
        subject: str,
        shop_id: str | None = None,
        *,
        ttl: timedelta | None = None,
        now: datetime | None = None,
    ) -> str:
        issued = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": subject,
            "role": Role(role).value,
            "iat": issued,
            "exp": issued + (ttl or self._ttl),
        }
        if shop_id is not None:
            claims["shop_id"] = shop_id
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)


class Authenticator:
    """Checks a bearer token and turns it into a `Caller`."""

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def caller(self, token: str) -> Caller:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                leeway=_LEEWAY,
                options={"require": ["exp", "sub", "role", "iss"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise _unauthenticated("the bearer token has expired") from error
        except jwt.InvalidTokenError as error:
            raise _unauthenticated(f"the bearer token is not valid: {error}") from error
        try:
            role = Role(claims["role"])
        except ValueError as error:
            raise _unauthenticated(f"unknown role {claims['role']!r} in the token") from error
        subject, shop_id = str(claims["sub"]), claims.get("shop_id")
        if role is Role.SELLER and not shop_id:
            raise _unauthenticated("a seller's token must name its shop (claim shop_id)")
        # Both are recorded on events (actorid, shop ids): bounded as the contracts bound them.
        if attribute_refusal(subject) is not None or not subject.isprintable():
            raise _unauthenticated(
                f"the token's subject must be 1 to {MAX_SUBJECT_LENGTH} characters"
            )
        if shop_id is not None and not 0 < len(str(shop_id)) <= MAX_SHOP_ID_LENGTH:
            raise _unauthenticated(
                f"the token's shop_id must be 1 to {MAX_SHOP_ID_LENGTH} characters"
            )
        return Caller(role, subject, str(shop_id) if shop_id else None)


_bearer = HTTPBearer(auto_error=False, description="A bearer token (JWT, HS256).")


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """FastAPI dependency: the caller, or a 401 problem."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthenticated("send `Authorization: Bearer <token>`")
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator.caller(credentials.credentials)


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def require_roles(*roles: Role) -> Callable[[Caller], Awaitable[Caller]]:
    """FastAPI dependency factory: the caller if their role is one of `roles`, else 403."""
    allowed = frozenset(roles)

    async def dependency(caller: CurrentCaller) -> Caller:
        if caller.role not in allowed:
            names = ", ".join(sorted(role.value for role in allowed))
            raise ProblemError(
                403, "forbidden", "Forbidden", f"this needs one of the roles: {names}"
            )
        return caller

    return dependency


def _unauthenticated(detail: str) -> ProblemError:
    return ProblemError(
        401,
        "unauthenticated",
        "Authentication required",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="orderflow"'},
    )
