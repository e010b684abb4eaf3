"""A key custodian for tests of a service that opens sealed personal data without the order
service running: it answers `GET /internal/v1/data-keys/{key_id}` in memory, as the real one
does (wrapped keys, 410 once erased, 404 for an unknown key), and can be taken down.

The service under test talks to it through the real `RemoteDataKeys` (its cache and `forget`
included) over an `httpx.MockTransport`; `with_custodian(manifest, custodian)` is the manifest
wired that way.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TypeVar

import httpx

from contracts.sealing import DataKey, KeyEncryptionKeys, SubjectSealer
from eventing.data_keys import DATA_KEY_PATH, DataKeySource, RemoteDataKeys, WrappedKeyAnswer
from eventing.http.auth import TokenIssuer
from eventing.runtime import ServiceRuntime
from eventing.service import AnyManifest
from eventing.settings import ServiceSettings

M = TypeVar("M", bound=AnyManifest)
_KEY_PATH = re.compile("^" + DATA_KEY_PATH.replace("{key_id}", "(?P<key_id>[^/]+)") + "$")


class FakeCustodian:
    """Data keys held in memory and served wrapped by the service's own KEKs."""

    def __init__(self, *keys: DataKey) -> None:
        self.keys = {key.key_id: key for key in keys}
        self.erased: set[str] = set()
        self.reachable = True
        self.requests: list[str] = []
        """The key ids asked for, in order (one entry per round trip)."""

    def subject(self, key: DataKey | None = None, *, repeatable: bool = True) -> SubjectSealer:
        """A sealer for a new data subject (or `key`), whose key the custodian holds."""
        held = key or DataKey.generate()
        self.keys[held.key_id] = held
        return SubjectSealer(held, repeatable=repeatable)

    def erase(self, key_id: str) -> None:
        """Destroy the key: from now on the custodian answers 410 for it."""
        self.erased.add(key_id)

    def source(self, runtime: ServiceRuntime, settings: ServiceSettings) -> DataKeySource:
        """`ServiceManifest.data_keys`: the real remote source, talking to this custodian."""
        keks = KeyEncryptionKeys.parse(settings.pii_keks.get_secret_value())
        return RemoteDataKeys(
            "http://custodian",
            keks,
            TokenIssuer(settings.auth_secret.get_secret_value()),
            caller=runtime.service.value,
            transport=httpx.MockTransport(lambda request: self._answer(request, keks)),
        )

    def _answer(self, request: httpx.Request, keks: KeyEncryptionKeys) -> httpx.Response:
        if not self.reachable:
            raise httpx.ConnectError("the test custodian is down", request=request)
        found = _KEY_PATH.match(request.url.path)
        if found is None or request.method != "GET":
            return httpx.Response(404)
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return httpx.Response(401)
        key_id = found["key_id"]
        self.requests.append(key_id)
        if key_id in self.erased:
            return httpx.Response(410)
        key = self.keys.get(key_id)
        if key is None:
            return httpx.Response(404)
        answer = WrappedKeyAnswer.of(keks.wrap(key))
        return httpx.Response(200, json=answer.model_dump())


def with_custodian(manifest: M, custodian: FakeCustodian) -> M:
    """`manifest` whose service gets its data keys from `custodian`."""
    return dataclasses.replace(manifest, data_keys=custodian.source)
