"""The KRaft cluster id the local launcher formats storage with."""

from __future__ import annotations

import base64
import uuid

import pytest

from localinfra import kafka


def test_a_cluster_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    # 0xF8 encodes to "-" as the first URL-safe base64 character: the storage tool would read
    # "-t -…" as a missing argument and refuse to format (seen once in 64 starts).
    dashed = uuid.UUID(bytes=bytes([0xF8]) + bytes(15))
    plain = uuid.UUID(bytes=bytes([0x10]) + bytes(15))
    draws = iter([dashed, dashed, plain])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(draws))
    assert base64.urlsafe_b64encode(dashed.bytes).decode().startswith("-")

    cluster_id = kafka._cluster_id()

    assert cluster_id == base64.urlsafe_b64encode(plain.bytes).decode().rstrip("=")
    assert len(cluster_id) == 22


def test_cluster_ids_are_random() -> None:
    assert len({kafka._cluster_id() for _ in range(200)}) == 200
