"""The data keys that open sealed personal data, as the services that may read it obtain them.

The order service is the **custodian**: it creates a buyer's data key when it first seals a
receiver for that buyer, keeps it wrapped by the key-encryption key (KEK) in its own database,
and answers `GET /internal/v1/data-keys/{key_id}` to system callers with the *wrapped* key. The
other services that must read personal data (logistics, to ship) ask it over HTTP and unwrap
with the KEK from their own configuration; no service reads another's database, and no key is
ever on a topic. Erasure destroys the custodian's copy; the others only ever hold unwrapped keys
in memory for `cache_ttl` seconds and forget them at once on the erasure event.

See docs/architecture.md, "Personal data", for the decision and its threat model.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from contracts.events.logistics import Signer
from contracts.sealing import (
    SEAL_ALGORITHM,
    DataKey,
    ErasedValue,
    KeyEncryptionKeys,
    Sealed,
    SealingError,
    SubjectSealer,
    WrappedKey,
    open_sealed,
)
from contracts.values import Receiver
from eventing.http.auth import Role, TokenIssuer
from eventing.http.problems import RETRY_AFTER_SECONDS, problem_response
from eventing.settings import ServiceSettings

M = TypeVar("M", bound=BaseModel)
_log = logging.getLogger(__name__)

DATA_KEY_PATH = "/internal/v1/data-keys/{key_id}"


class KeyErased(Exception):
    """The data key was destroyed: what it sealed is erased for good."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"data key {key_id} was erased")
        self.key_id = key_id


class KeysUnavailable(Exception):
    """The data key could not be obtained now (the custodian is unreachable): retry later."""


class UnknownKey(Exception):
    """No such data key exists (a sealed value from another system, or a forged one)."""


class WrappedKeyAnswer(BaseModel):
    """A data key wrapped by a KEK, as the custodian hands it to the services that may read."""

    key_id: str = Field(description="The data key's id (`dk-` and 32 hex digits).")
    kek_id: str = Field(description="The key-encryption key that wraps it.")
    wrapped: str = Field(description="RFC 3394 AES key wrap of the key, base64url.")

    @classmethod
    def of(cls, wrapped: WrappedKey) -> WrappedKeyAnswer:
        return cls(key_id=wrapped.key_id, kek_id=wrapped.kek_id, wrapped=wrapped.wrapped)

    def key(self) -> WrappedKey:
        return WrappedKey(key_id=self.key_id, kek_id=self.kek_id, wrapped=self.wrapped)


class DataKeySource(Protocol):
    """Where a service gets the data key that opens a sealed value."""

    async def data_key(self, key_id: str) -> DataKey:
        """The key; `KeyErased`, `UnknownKey`, or `KeysUnavailable` (transient)."""
        ...

    def forget(self, key_ids: Iterable[str]) -> None:
        """Drop any copy held in memory (called on an erasure)."""
        ...


class KeyCache:
    """Unwrapped data keys held in memory for a bounded time (least recently used first out)."""

    def __init__(self, *, ttl: float = 300.0, size: int = 10_000) -> None:
        self._ttl = ttl
        self._size = size
        self._keys: OrderedDict[str, tuple[float, DataKey]] = OrderedDict()

    def get(self, key_id: str) -> DataKey | None:
        held = self._keys.get(key_id)
        if held is None:
            return None
        if held[0] < time.monotonic():
            del self._keys[key_id]
            return None
        self._keys.move_to_end(key_id)
        return held[1]

    def put(self, key: DataKey) -> None:
        self._keys[key.key_id] = (time.monotonic() + self._ttl, key)
        self._keys.move_to_end(key.key_id)
        while len(self._keys) > self._size:
            self._keys.popitem(last=False)

    def forget(self, key_ids: Iterable[str]) -> None:
        for key_id in key_ids:
            self._keys.pop(key_id, None)


class RemoteDataKeys:
    """Data keys fetched from the custodian over HTTP (wrapped), unwrapped with our KEKs."""

    def __init__(
        self,
        base_url: str,
        keks: KeyEncryptionKeys,
        tokens: TokenIssuer,
        *,
        caller: str,
        cache: KeyCache | None = None,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._keks = keks
        self._tokens = tokens
        self._caller = caller
        self._cache = cache or KeyCache()
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )

    async def data_key(self, key_id: str) -> DataKey:
        cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        token = self._tokens.issue(Role.SYSTEM, self._caller)
        try:
            response = await self._client.get(
                DATA_KEY_PATH.format(key_id=key_id), headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as error:
            raise KeysUnavailable(f"the key custodian is unreachable: {error!r}") from error
        if response.status_code == 410:
            raise KeyErased(key_id)
        if response.status_code == 404:
            raise UnknownKey(key_id)
        if response.status_code != 200:
            raise KeysUnavailable(f"the key custodian answered {response.status_code}")
        try:
            wrapped = WrappedKeyAnswer.model_validate_json(response.content).key()
            key = self._keks.unwrap(wrapped)
        except (ValueError, SealingError) as error:
            raise KeysUnavailable(f"the custodian's key does not unwrap: {error}") from error
        self._cache.put(key)
        return key

    def forget(self, key_ids: Iterable[str]) -> None:
        self._cache.forget(key_ids)

    async def aclose(self) -> None:
        await self._client.aclose()


class NoCustodian:
    """The source of a service with no key custodian configured: every key is unavailable."""

    async def data_key(self, key_id: str) -> DataKey:
        raise KeysUnavailable("no key custodian is configured (KEY_CUSTODIAN_URL)")

    def forget(self, key_ids: Iterable[str]) -> None:
        return None


def remote_data_keys(caller: str, settings: ServiceSettings) -> DataKeySource:
    """The data keys of a service that is not the custodian, from its settings."""
    if settings.key_custodian_url is None:
        return NoCustodian()
    return RemoteDataKeys(
        settings.key_custodian_url,
        KeyEncryptionKeys.parse(settings.pii_keks.get_secret_value()),
        TokenIssuer(settings.auth_secret.get_secret_value()),
        caller=caller,
    )


@dataclass(frozen=True)
class PersonalData:
    """Opens sealed values for a view that may show them (masked or in full)."""

    keys: DataKeySource

    async def open(self, sealed: Sealed | None, model: type[M]) -> M | ErasedValue | None:
        """The value, `ErasedValue` once its subject was erased, None for no value.

        `KeysUnavailable` propagates (the view answers 503, retryable); a value that does not
        open with its own key is a broken store, and `SealingError` propagates as well.
        """
        if sealed is None:
            return None
        try:
            key = await self.keys.data_key(sealed.key_id)
        except KeyErased:
            return ErasedValue(key_id=sealed.key_id)
        return open_sealed(sealed, key, model)

    async def sealer(self, key_id: str) -> SubjectSealer | None:
        """A sealer for the data subject of `key_id` (to seal more of their data, such as a
        delivery's signer), None once the subject was erased; `KeysUnavailable` propagates."""
        try:
            return SubjectSealer(await self.keys.data_key(key_id))
        except KeyErased:
            return None

    async def reveal(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON document (a read-model row, an event's data) with every sealed `receiver`
        and `signed_by` in it, at any depth, opened (to the receiver's JSON, to the signer's
        name), or the erased marker; the keys of one document are fetched once each,
        concurrently. Mask the result as the caller's role requires before it leaves the
        service."""
        key_ids = sorted(set(_sealed_key_ids(document)))
        if not key_ids:
            return dict(document)
        found = await asyncio.gather(*(self._key_or_erased(k) for k in key_ids))
        keys = dict(zip(key_ids, found, strict=True))
        return _opened(document, keys)  # type: ignore[return-value]

    async def _key_or_erased(self, key_id: str) -> DataKey | None:
        try:
            return await self.keys.data_key(key_id)
        except KeyErased:
            return None


def install_key_problems(app: FastAPI) -> None:
    """Answer a data key that cannot be had as a retryable 503 problem, never a 500."""
    app.add_exception_handler(KeysUnavailable, _on_keys_unavailable)
    app.add_exception_handler(UnknownKey, _on_keys_unavailable)


async def _on_keys_unavailable(request: Request, error: Exception) -> JSONResponse:
    _log.warning("personal data unavailable for %s: %s", request.url.path, error)
    return problem_response(
        503,
        "personal-data-unavailable",
        "Personal data cannot be opened right now",
        "the key that opens the receiver cannot be obtained now; retry after Retry-After seconds",
        instance=request.url.path,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        retryable=True,
    )


def is_sealed(value: object) -> bool:
    """Whether a JSON value is a `Sealed` object."""
    return isinstance(value, Mapping) and value.get("alg") == SEAL_ALGORITHM and "key_id" in value


def _receiver_json(sealed: Sealed, key: DataKey) -> object:
    return open_sealed(sealed, key, Receiver).model_dump(mode="json")


def _signer_name(sealed: Sealed, key: DataKey) -> object:
    return open_sealed(sealed, key, Signer).name


_SEALED_FIELDS: Mapping[str, Callable[[Sealed, DataKey], object]] = {
    "receiver": _receiver_json,
    "signed_by": _signer_name,
}
"""The sealed fields `reveal` opens, by name, and what each shows once opened."""


def _sealed_key_ids(node: object) -> Iterable[str]:
    """The key ids of the sealed fields in a JSON document (validated once, when opened)."""
    if isinstance(node, Mapping):
        for name, value in node.items():
            if name in _SEALED_FIELDS and is_sealed(value):
                yield str(value["key_id"])
            else:
                yield from _sealed_key_ids(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _sealed_key_ids(item)


def _opened(node: object, keys: Mapping[str, DataKey | None]) -> object:
    if isinstance(node, Mapping):
        shown: dict[str, Any] = {}
        for name, value in node.items():
            if name in _SEALED_FIELDS and is_sealed(value):
                sealed = Sealed.model_validate(value)
                key = keys[sealed.key_id]
                shown[name] = (
                    ErasedValue(key_id=sealed.key_id).model_dump(mode="json")
                    if key is None
                    else _SEALED_FIELDS[name](sealed, key)
                )
            else:
                shown[name] = _opened(value, keys)
        return shown
    if isinstance(node, list | tuple):
        return [_opened(item, keys) for item in node]
    return node
