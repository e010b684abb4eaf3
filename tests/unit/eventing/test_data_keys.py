"""How a service obtains data keys (the custodian's wrapped keys over HTTP, a bounded cache) and
opens the sealed receivers in a document for a view."""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from contracts.events.logistics import Signer
from contracts.examples import EXAMPLE_DATA_KEY, RECEIVER
from contracts.sealing import DataKey, KeyEncryptionKeys, SubjectSealer, open_sealed
from eventing.data_keys import (
    KeyCache,
    KeyErased,
    KeysUnavailable,
    PersonalData,
    RemoteDataKeys,
    UnknownKey,
    WrappedKeyAnswer,
)
from eventing.http.auth import Authenticator, Role, TokenIssuer

SECRET = "a-test-secret-of-at-least-thirty-two-chars"
KEKS = KeyEncryptionKeys.generate("kek-1")


class Custodian:
    """A fake order service: answers the key endpoint and counts calls."""

    def __init__(self, *keys: DataKey, erased: Iterable[str] = (), status: int = 200) -> None:
        self.keys = {key.key_id: key for key in keys}
        self.erased = set(erased)
        self.status = status
        self.calls: list[str] = []
        self.callers: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        caller = Authenticator(SECRET).caller(request.headers["Authorization"].split()[1])
        self.callers.append(f"{caller.role.value}:{caller.subject}")
        key_id = request.url.path.rsplit("/", 1)[-1]
        self.calls.append(key_id)
        if self.status != 200:
            return httpx.Response(self.status)
        if key_id in self.erased:
            return httpx.Response(410)
        if key_id not in self.keys:
            return httpx.Response(404)
        answer = WrappedKeyAnswer.of(KEKS.wrap(self.keys[key_id]))
        return httpx.Response(200, content=answer.model_dump_json())


def remote(custodian: Custodian, keks: KeyEncryptionKeys = KEKS) -> RemoteDataKeys:
    return RemoteDataKeys(
        "http://order",
        keks,
        TokenIssuer(SECRET),
        caller="logistics",
        transport=httpx.MockTransport(custodian.handle),
    )


async def test_a_key_is_fetched_wrapped_once_with_a_system_token_then_cached() -> None:
    custodian = Custodian(EXAMPLE_DATA_KEY)
    keys = remote(custodian)
    assert await keys.data_key(EXAMPLE_DATA_KEY.key_id) == EXAMPLE_DATA_KEY
    assert await keys.data_key(EXAMPLE_DATA_KEY.key_id) == EXAMPLE_DATA_KEY
    assert custodian.calls == [EXAMPLE_DATA_KEY.key_id]
    assert custodian.callers == [f"{Role.SYSTEM.value}:logistics"]
    keys.forget([EXAMPLE_DATA_KEY.key_id])
    await keys.data_key(EXAMPLE_DATA_KEY.key_id)
    assert len(custodian.calls) == 2
    await keys.aclose()


async def test_erased_unknown_and_unreachable_keys_are_told_apart() -> None:
    gone = DataKey.generate()
    assert isinstance(
        await _raised(remote(Custodian(erased=[gone.key_id])), gone.key_id), KeyErased
    )
    assert isinstance(await _raised(remote(Custodian()), gone.key_id), UnknownKey)
    assert isinstance(await _raised(remote(Custodian(status=503)), gone.key_id), KeysUnavailable)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    down = RemoteDataKeys(
        "http://order", KEKS, TokenIssuer(SECRET), caller="logistics",
        transport=httpx.MockTransport(refuse),
    )  # fmt: skip
    assert isinstance(await _raised(down, gone.key_id), KeysUnavailable)
    other_kek = KeyEncryptionKeys.generate("kek-9")
    wrong = remote(Custodian(EXAMPLE_DATA_KEY), other_kek)
    assert isinstance(await _raised(wrong, EXAMPLE_DATA_KEY.key_id), KeysUnavailable)


async def _raised(keys: RemoteDataKeys, key_id: str) -> Exception:
    try:
        await keys.data_key(key_id)
    except (KeyErased, UnknownKey, KeysUnavailable) as error:
        return error
    raise AssertionError(f"{key_id} was handed out")


def test_the_cache_forgets_the_oldest_and_the_expired() -> None:
    cache = KeyCache(ttl=60, size=2)
    first, second, third = DataKey.generate(), DataKey.generate(), DataKey.generate()
    cache.put(first)
    cache.put(second)
    assert cache.get(first.key_id) == first  # first is now the most recently used
    cache.put(third)
    assert cache.get(second.key_id) is None
    assert cache.get(first.key_id) == first
    expired = KeyCache(ttl=-1)
    expired.put(first)
    assert expired.get(first.key_id) is None


async def test_reveal_opens_every_receiver_in_a_document_and_marks_the_erased() -> None:
    erased_key = DataKey.generate()
    sealer, gone = SubjectSealer(EXAMPLE_DATA_KEY), SubjectSealer(erased_key)
    document = {
        "detail": {"receiver": sealer.seal(RECEIVER).model_dump(mode="json"), "paid": 1},
        "timeline": [
            {"receiver": sealer.seal(RECEIVER).model_dump(mode="json")},
            {"receiver": gone.seal(RECEIVER).model_dump(mode="json")},
            {"receiver": None},
            {"amount": 3},
        ],
    }
    custodian = Custodian(EXAMPLE_DATA_KEY, erased=[erased_key.key_id])
    shown = await PersonalData(remote(custodian)).reveal(document)
    clear = RECEIVER.model_dump(mode="json")
    assert shown["detail"] == {"receiver": clear, "paid": 1}
    assert shown["timeline"][0] == {"receiver": clear}
    assert shown["timeline"][1] == {"receiver": {"erased": True, "key_id": erased_key.key_id}}
    assert shown["timeline"][2:] == [{"receiver": None}, {"amount": 3}]
    assert sorted(custodian.calls) == sorted([EXAMPLE_DATA_KEY.key_id, erased_key.key_id])
    assert await PersonalData(remote(custodian)).reveal({"a": 1}) == {"a": 1}


async def test_open_gives_the_value_the_marker_or_nothing() -> None:
    erased_key = DataKey.generate()
    data = PersonalData(remote(Custodian(EXAMPLE_DATA_KEY, erased=[erased_key.key_id])))
    assert (
        await data.open(SubjectSealer(EXAMPLE_DATA_KEY).seal(RECEIVER), type(RECEIVER)) == RECEIVER
    )
    marker = await data.open(SubjectSealer(erased_key).seal(RECEIVER), type(RECEIVER))
    assert marker is not None
    assert marker.model_dump() == {"erased": True, "key_id": erased_key.key_id}
    assert await data.open(None, type(RECEIVER)) is None


async def test_reveal_opens_a_sealed_signer_to_its_name_or_the_marker() -> None:
    erased_key = DataKey.generate()
    signer = Signer(name="本人")
    document = {
        "timeline": [
            {"data": {"signed_by": SubjectSealer(EXAMPLE_DATA_KEY).seal(signer).model_dump()}},
            {"data": {"signed_by": SubjectSealer(erased_key).seal(signer).model_dump()}},
            {"data": {"signed_by": None}},
        ]
    }
    custodian = Custodian(EXAMPLE_DATA_KEY, erased=[erased_key.key_id])
    shown = await PersonalData(remote(custodian)).reveal(document)
    assert [entry["data"]["signed_by"] for entry in shown["timeline"]] == [
        "本人",
        {"erased": True, "key_id": erased_key.key_id},
        None,
    ]


async def test_a_subject_s_sealer_seals_under_its_key_or_is_none_once_erased() -> None:
    erased_key = DataKey.generate()
    data = PersonalData(remote(Custodian(EXAMPLE_DATA_KEY, erased=[erased_key.key_id])))
    sealer = await data.sealer(EXAMPLE_DATA_KEY.key_id)
    assert sealer is not None
    sealed = sealer.seal(Signer(name="本人"))
    assert open_sealed(sealed, EXAMPLE_DATA_KEY, Signer) == Signer(name="本人")
    assert await data.sealer(erased_key.key_id) is None
