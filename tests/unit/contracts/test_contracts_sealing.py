"""Sealed personal data: AES-256-GCM per data subject, keys wrapped by rotating KEKs, and the
sealing upcasters that lift v1 events with clear receivers."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from contracts.catalog import REGISTRY
from contracts.errors import InvalidPayload
from contracts.events.logistics import Delivered, DeliveredV1, ShipmentRequested, Signer
from contracts.events.order import AddressChanged, OrderPlaced, OrderPlacedV1
from contracts.examples import EXAMPLE_DATA_KEY, RECEIVER, example_payloads
from contracts.sealing import (
    DataKey,
    ErasedValue,
    KeyEncryptionKeys,
    Sealed,
    SealingError,
    SubjectSealer,
    WrappedKey,
    open_sealed,
    same_value,
    seal,
)
from contracts.upcasting import JsonObject
from contracts.values import Address, Receiver


def receivers() -> st.SearchStrategy[Receiver]:
    text = st.text(
        alphabet=st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=64
    ).filter(str.strip)
    return st.builds(
        Receiver,
        name=text,
        phone=st.just("13812345678"),
        address=st.builds(Address, province=text, city=text, street=text),
    )


@given(receivers())
def test_a_sealed_receiver_opens_to_itself_with_its_key_only(receiver: Receiver) -> None:
    key, other = DataKey.generate(), DataKey.generate()
    sealed = seal(receiver, key)
    assert open_sealed(sealed, key, Receiver) == receiver
    assert receiver.model_dump_json() not in sealed.model_dump_json()
    with pytest.raises(SealingError):
        open_sealed(sealed, other, Receiver)


def test_two_seals_of_one_value_differ_but_their_digests_agree() -> None:
    key = DataKey.generate()
    first, second = seal(RECEIVER, key), seal(RECEIVER, key)
    assert first.ciphertext != second.ciphertext
    assert first.nonce != second.nonce
    assert first.digest == second.digest
    assert same_value(first, RECEIVER, key)
    assert not same_value(first, RECEIVER.model_copy(update={"phone": "13900001111"}), key)
    assert seal(RECEIVER, DataKey.generate()).digest != first.digest


def test_a_tampered_or_moved_ciphertext_does_not_open() -> None:
    key = DataKey.generate()
    sealed = seal(RECEIVER, key)
    raw = bytearray(base64.urlsafe_b64decode(sealed.ciphertext + "=="))
    raw[0] ^= 1
    flipped = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(SealingError, match="does not open"):
        open_sealed(sealed.model_copy(update={"ciphertext": flipped}), key, Receiver)
    impostor = DataKey(key_id=DataKey.generate().key_id, secret=key.secret)
    moved = sealed.model_copy(update={"key_id": impostor.key_id})
    with pytest.raises(SealingError, match="does not open"):
        open_sealed(moved, impostor, Receiver)


def test_the_repeatable_sealer_is_deterministic_for_tests() -> None:
    sealer = SubjectSealer(EXAMPLE_DATA_KEY, repeatable=True)
    assert sealer.seal(RECEIVER) == sealer.seal(RECEIVER)
    assert sealer.holds(sealer.seal(RECEIVER), RECEIVER)
    assert not sealer.holds(None, RECEIVER)
    assert SubjectSealer(EXAMPLE_DATA_KEY).seal(RECEIVER) != sealer.seal(RECEIVER)


def test_the_published_examples_open_with_the_example_key() -> None:
    sealed_examples = [
        p for p in example_payloads().values() if isinstance(p, OrderPlaced | ShipmentRequested)
    ]
    assert sealed_examples
    for payload in sealed_examples:
        assert open_sealed(payload.receiver, EXAMPLE_DATA_KEY, Receiver) == RECEIVER


def test_keks_wrap_unwrap_rotate_and_rewrap() -> None:
    ring = KeyEncryptionKeys.generate("kek-1")
    key = DataKey.generate()
    wrapped = ring.wrap(key)
    assert wrapped.kek_id == "kek-1"
    assert ring.unwrap(wrapped) == key

    rotated = ring.rotated("kek-2")
    assert rotated.current == "kek-2"
    assert rotated.unwrap(wrapped) == key  # the retired KEK still unwraps
    rewrapped = rotated.rewrap(wrapped)
    assert rewrapped.kek_id == "kek-2"
    assert rotated.rewrap(rewrapped) == rewrapped
    only_new = KeyEncryptionKeys(current="kek-2", keys={"kek-2": rotated.keys["kek-2"]})
    assert only_new.unwrap(rewrapped) == key
    with pytest.raises(SealingError, match="unknown KEK"):
        only_new.unwrap(wrapped)
    forged = WrappedKey(wrapped.key_id, "kek-1", ring.wrap(DataKey.generate()).wrapped[:-4])
    with pytest.raises(SealingError, match="does not unwrap"):
        ring.unwrap(forged)


def test_the_kek_configuration_text_round_trips_and_refuses_mistakes() -> None:
    ring = KeyEncryptionKeys.generate("kek-1").rotated("kek-2")
    assert KeyEncryptionKeys.parse(ring.describe()) == ring
    assert base64.b64encode(ring.keys["kek-2"]).decode() not in repr(ring)
    for bad, problem in [
        ("", "no key-encryption key"),
        ("kek-1", "id:base64"),
        ("kek-1:c2hvcnQ=", "32 bytes"),
        ("kek-1:not base64!", "not base64"),
        (f"kek 1:{base64.b64encode(bytes(32)).decode()}", "not a KEK id"),
        (f"a:{base64.b64encode(bytes(32)).decode()},a:{base64.b64encode(bytes(32)).decode()}",
         "twice"),
    ]:  # fmt: skip
        with pytest.raises(SealingError, match=problem):
            KeyEncryptionKeys.parse(bad)


def test_a_data_key_keeps_its_secret_out_of_its_repr() -> None:
    key = DataKey.generate()
    assert key.secret.hex() not in repr(key)
    with pytest.raises(SealingError):
        DataKey(key_id="not-a-key-id", secret=bytes(32))
    with pytest.raises(SealingError):
        DataKey(key_id=key.key_id, secret=bytes(16))


def test_the_erased_marker_names_the_destroyed_key() -> None:
    assert ErasedValue(key_id=EXAMPLE_DATA_KEY.key_id).model_dump() == {
        "erased": True,
        "key_id": EXAMPLE_DATA_KEY.key_id,
    }


def _v1_placed() -> dict[str, object]:
    v2 = next(p for p in example_payloads().values() if isinstance(p, OrderPlaced))
    data = v2.model_dump(mode="json")
    data["receiver"] = RECEIVER.model_dump(mode="json")
    OrderPlacedV1.model_validate(data)  # a valid v1 event
    return data


def test_a_v1_event_is_upcast_by_sealing_its_receiver_for_the_reader() -> None:
    seen: list[JsonObject] = []

    def sealer(event: JsonObject, value: BaseModel) -> JsonObject:
        seen.append(event)
        assert isinstance(value, Receiver)
        return seal(value, EXAMPLE_DATA_KEY).model_dump(mode="json")

    loaded = REGISTRY.load("order.placed", 1, json.dumps(_v1_placed()), sealer=sealer)
    assert isinstance(loaded, OrderPlaced)
    assert open_sealed(loaded.receiver, EXAMPLE_DATA_KEY, Receiver) == RECEIVER
    assert seen[0]["buyer_id"] == "B-88"  # the sealer sees whose receiver it is


def test_a_v1_event_without_a_sealer_is_refused_not_published_in_clear() -> None:
    with pytest.raises(InvalidPayload, match="needs the data keys"):
        REGISTRY.load("order.placed", 1, json.dumps(_v1_placed()))
    changed = {"order_id": "O-1", "shop_id": "S-1", "receiver": RECEIVER.model_dump(mode="json")}
    with pytest.raises(InvalidPayload, match="needs the data keys"):
        REGISTRY.load("order.address_changed", 1, json.dumps(changed))


def test_a_current_event_needs_no_sealer() -> None:
    example = next(p for p in example_payloads().values() if isinstance(p, AddressChanged))
    loaded = REGISTRY.load("order.address_changed", 2, example.model_dump_json())
    assert isinstance(loaded.receiver, Sealed)  # type: ignore[attr-defined]


def test_the_published_delivery_holds_its_signer_sealed_under_the_example_key() -> None:
    example = next(p for p in example_payloads().values() if isinstance(p, Delivered))
    assert example.signed_by is not None
    assert open_sealed(example.signed_by, EXAMPLE_DATA_KEY, Signer) == Signer(name="本人")
    assert "本人" not in example.model_dump_json()


def test_a_v1_delivery_is_upcast_by_sealing_its_signer_as_a_signer() -> None:
    example = next(p for p in example_payloads().values() if isinstance(p, Delivered))
    v1 = {**example.model_dump(mode="json"), "signed_by": "本人"}
    DeliveredV1.model_validate(v1)  # a valid v1 event
    seen: list[JsonObject] = []

    def sealer(event: JsonObject, value: BaseModel) -> JsonObject:
        seen.append(value.model_dump())
        assert isinstance(value, Signer)
        return seal(value, EXAMPLE_DATA_KEY).model_dump(mode="json")

    loaded = REGISTRY.load("logistics.delivered", 1, json.dumps(v1), sealer=sealer)
    assert isinstance(loaded, Delivered)
    assert loaded.signed_by is not None
    assert open_sealed(loaded.signed_by, EXAMPLE_DATA_KEY, Signer).name == "本人"
    unsigned = json.dumps({**v1, "signed_by": None})
    assert REGISTRY.load("logistics.delivered", 1, unsigned, sealer=sealer) == Delivered(
        **{**example.model_dump(), "signed_by": None}
    )
    assert seen == [{"name": "本人"}]  # nothing to seal without a signer
    with pytest.raises(InvalidPayload, match="needs the data keys"):
        REGISTRY.load("logistics.delivered", 1, json.dumps(v1))
