"""Sealed personal data: field-level envelope encryption of what the contracts mark `x-pii`.

Every value marked personal (today: the receiver) travels and is stored as a `Sealed` object:
AES-256-GCM under a **data key of its data subject** (the buyer), named by `key_id`. Data keys
are kept wrapped (RFC 3394 AES key wrap) by a **key-encryption key** (KEK) from configuration,
named by its own id so KEKs rotate: `KeyEncryptionKeys` holds the current KEK and the retired
ones still needed to unwrap keys wrapped before a rotation.

Everything else in an event stays in clear, so a consumer without keys reads every other field
exactly as before and sees the sealed field as an opaque object. An authorised consumer (one
given the KEK and the wrapped data key) opens it::

    kek = KeyEncryptionKeys.parse(os.environ["ORDERS_PII_KEKS"])
    receiver = open_sealed(event.receiver, kek.unwrap(wrapped_key), Receiver)

Erasure destroys a subject's data key (crypto-shredding): its sealed values can then never be
opened again, and views show `ErasedValue` in their place.

The `digest` lets a holder of the data key tell two sealed values apart without opening them
(HMAC-SHA256 under a key derived from the data key, over the same plaintext); without the data
key it reveals nothing, not even equality across subjects.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Literal, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from pydantic import BaseModel, Field, StringConstraints, ValidationError

from contracts.values import PII_MARK, ContractModel

SEAL_ALGORITHM: Final = "A256GCM"
"""AES-256 in Galois/Counter mode, 96-bit random nonce, 128-bit tag (JOSE's name for it)."""

KEY_ID_PATTERN: Final = r"^dk-[0-9a-f]{32}$"
KEK_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
MAX_SEALED_LENGTH: Final = 8192
"""Longest ciphertext (base64url): a receiver at every bound of its fields is under 2 KB."""

KeyId = Annotated[str, StringConstraints(pattern=KEY_ID_PATTERN, max_length=35)]
_Nonce = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16}$", max_length=16)]
_Digest = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{43}$", max_length=43)]
_Ciphertext = Annotated[
    str,
    StringConstraints(
        pattern=rf"^[A-Za-z0-9_-]{{22,{MAX_SEALED_LENGTH}}}$",
        min_length=22,
        max_length=MAX_SEALED_LENGTH,
    ),
]

SEALED_MARK: Final = "x-sealed"
"""JSON Schema annotation of a sealed field: the name of the value type it holds when opened."""

M = TypeVar("M", bound=BaseModel)


def sealed_personal_data(
    description: str, value: type[BaseModel], *, optional: bool = False
) -> Any:
    """A personal field carried sealed (`Sealed`): marked `x-pii` and `x-sealed: <value type>`;
    `optional` ones default to None (no value, as for a delivery without a signer)."""
    return Field(
        default=None if optional else ...,
        description=(
            f"{description}: a {value.__name__} sealed for the buyer (AES-256-GCM; see "
            'docs/events.md, "Personal data").'
        ),
        json_schema_extra={PII_MARK: True, SEALED_MARK: value.__name__},
    )


class SealingError(Exception):
    """A sealed value or a key could not be used (wrong key, tampered data, unknown KEK)."""


class Sealed(ContractModel):
    """A personal value sealed for its data subject (AES-256-GCM under the buyer's data key).

    The plaintext is the value's JSON (for a receiver: name, phone and address); the key id is
    the associated data, so a ciphertext cannot be moved under another subject's key.
    """

    alg: Literal["A256GCM"] = Field(description="Always A256GCM (AES-256-GCM).")
    key_id: KeyId = Field(description="The data subject's data key that opens this value.")
    nonce: _Nonce = Field(description="The 96-bit GCM nonce, base64url without padding.")
    ciphertext: _Ciphertext = Field(
        description="Ciphertext and 128-bit tag of the value's JSON, base64url without padding."
    )
    digest: _Digest = Field(
        description=(
            "HMAC-SHA256 of the value's JSON under a key derived from the data key, base64url: "
            "equal values under one key have equal digests; meaningless without the key."
        )
    )


class ErasedValue(ContractModel):
    """What a view shows in place of personal data whose data subject was erased."""

    erased: Literal[True] = Field(
        default=True, description="Always true: the data subject's key was destroyed."
    )
    key_id: KeyId = Field(description="The destroyed data key the value was sealed under.")


@dataclass(frozen=True, slots=True)
class DataKey:
    """A data subject's 256-bit data key, in clear: hold it in memory only, never log it."""

    key_id: str
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if re.fullmatch(KEY_ID_PATTERN, self.key_id) is None:
            raise SealingError(f"not a data key id: {self.key_id!r}")
        if len(self.secret) != 32:
            raise SealingError("a data key has 32 bytes")

    @classmethod
    def generate(cls) -> DataKey:
        """A fresh random key with a fresh id."""
        return cls(key_id=f"dk-{secrets.token_hex(16)}", secret=secrets.token_bytes(32))

    def _derived(self, purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
            self.secret
        )


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A data key wrapped by one KEK: what is stored, backed up and handed between services."""

    key_id: str
    kek_id: str
    wrapped: str
    """RFC 3394 AES key wrap of the data key, base64url without padding."""


@dataclass(frozen=True, slots=True)
class KeyEncryptionKeys:
    """The KEKs from configuration: the current one wraps, every listed one unwraps."""

    current: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise SealingError(f"the current KEK {self.current!r} is not among the keys")
        for kek_id, secret in self.keys.items():
            if re.fullmatch(KEK_ID_PATTERN, kek_id) is None:
                raise SealingError(f"not a KEK id: {kek_id!r}")
            if len(secret) != 32:
                raise SealingError(f"KEK {kek_id!r} must have 32 bytes (256 bits)")

    @classmethod
    def parse(cls, text: str) -> KeyEncryptionKeys:
        """`id:base64[,id:base64…]`: the first is the current KEK, the others retired ones."""
        pairs = [part.strip() for part in text.split(",") if part.strip()]
        if not pairs:
            raise SealingError("no key-encryption key configured")
        keys: dict[str, bytes] = {}
        for pair in pairs:
            kek_id, sep, encoded = pair.partition(":")
            if not sep:
                raise SealingError("each KEK is written id:base64")
            if kek_id in keys:
                raise SealingError(f"KEK {kek_id!r} is listed twice")
            keys[kek_id] = _decode_key(encoded, kek_id)
        return cls(current=pairs[0].partition(":")[0], keys=keys)

    @classmethod
    def generate(cls, kek_id: str = "kek-1") -> KeyEncryptionKeys:
        return cls(current=kek_id, keys={kek_id: secrets.token_bytes(32)})

    def describe(self) -> str:
        """The configuration text of these KEKs (a secret: write it to a protected file only)."""
        ordered = [self.current, *(k for k in self.keys if k != self.current)]
        return ",".join(f"{k}:{base64.b64encode(self.keys[k]).decode()}" for k in ordered)

    def rotated(self, new_id: str, secret: bytes | None = None) -> KeyEncryptionKeys:
        """A ring whose current KEK is a new one, keeping the others for unwrapping."""
        if new_id in self.keys:
            raise SealingError(f"KEK {new_id!r} exists already")
        fresh = secrets.token_bytes(32) if secret is None else secret
        return KeyEncryptionKeys(current=new_id, keys={new_id: fresh, **self.keys})

    def wrap(self, key: DataKey) -> WrappedKey:
        wrapped = aes_key_wrap(self.keys[self.current], key.secret)
        return WrappedKey(key_id=key.key_id, kek_id=self.current, wrapped=_b64(wrapped))

    def unwrap(self, wrapped: WrappedKey) -> DataKey:
        kek = self.keys.get(wrapped.kek_id)
        if kek is None:
            raise SealingError(f"data key {wrapped.key_id} is wrapped by unknown KEK")
        try:
            secret = aes_key_unwrap(kek, _unb64(wrapped.wrapped))
        except (InvalidUnwrap, ValueError) as error:
            raise SealingError(f"data key {wrapped.key_id} does not unwrap") from error
        return DataKey(key_id=wrapped.key_id, secret=secret)

    def rewrap(self, wrapped: WrappedKey) -> WrappedKey:
        """The same data key wrapped by the current KEK (a rotation step; idempotent)."""
        return wrapped if wrapped.kek_id == self.current else self.wrap(self.unwrap(wrapped))


def seal(value: BaseModel, key: DataKey, *, nonce: bytes | None = None) -> Sealed:
    """`value`'s JSON sealed under `key`, with a fresh random nonce.

    `nonce` is for the published examples only (a fixed, documented one): a nonce used twice
    with one key breaks GCM's secrecy, so never pass one in production.
    """
    plaintext = value.model_dump_json().encode()
    nonce = secrets.token_bytes(12) if nonce is None else nonce
    if len(nonce) != 12:
        raise SealingError("a GCM nonce has 12 bytes")
    ciphertext = AESGCM(key._derived(b"orderflow seal v1")).encrypt(
        nonce, plaintext, key.key_id.encode()
    )
    return Sealed(
        alg=SEAL_ALGORITHM,
        key_id=key.key_id,
        nonce=_b64(nonce),
        ciphertext=_b64(ciphertext),
        digest=_digest(plaintext, key),
    )


def open_sealed(sealed: Sealed, key: DataKey, model: type[M]) -> M:
    """The value `sealed` holds, validated as `model`; `SealingError` if it does not open."""
    if sealed.key_id != key.key_id:
        raise SealingError(f"sealed under {sealed.key_id}, not {key.key_id}")
    try:
        plaintext = AESGCM(key._derived(b"orderflow seal v1")).decrypt(
            _unb64(sealed.nonce), _unb64(sealed.ciphertext), key.key_id.encode()
        )
    except (InvalidTag, ValueError) as error:
        raise SealingError(f"a value sealed under {sealed.key_id} does not open") from error
    try:
        return model.model_validate_json(plaintext)
    except ValidationError as error:
        raise SealingError(
            f"a value sealed under {sealed.key_id} is no {model.__name__}"
        ) from error


def same_value(sealed: Sealed, value: BaseModel, key: DataKey) -> bool:
    """Whether `sealed` holds `value` (compares digests; needs the data key)."""
    expected = _digest(value.model_dump_json().encode(), key)
    return sealed.key_id == key.key_id and hmac.compare_digest(sealed.digest, expected)


def key_ids(values: Iterable[Sealed | None]) -> frozenset[str]:
    return frozenset(v.key_id for v in values if v is not None)


@dataclass(frozen=True, slots=True)
class SubjectSealer:
    """Seals values for one data subject: what a domain command carries to seal a receiver.

    `repeatable=True` derives the nonce from the value's digest, so equal values seal to equal
    objects: for tests and examples only (in production it would show equal receivers as equal
    ciphertexts to anyone).
    """

    key: DataKey
    repeatable: bool = False

    def seal(self, value: BaseModel) -> Sealed:
        if not self.repeatable:
            return seal(value, self.key)
        digest = _unb64(_digest(value.model_dump_json().encode(), self.key))
        return seal(value, self.key, nonce=digest[:12])

    def holds(self, sealed: Sealed | None, value: BaseModel) -> bool:
        """Whether `sealed` is `value` sealed under this subject's key."""
        return sealed is not None and same_value(sealed, value, self.key)


def _digest(plaintext: bytes, key: DataKey) -> str:
    return _b64(hmac.new(key._derived(b"orderflow digest v1"), plaintext, hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise SealingError("not base64url") from error


def _decode_key(encoded: str, kek_id: str) -> bytes:
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise SealingError(f"KEK {kek_id!r} is not base64") from error
    if len(raw) != 32:
        raise SealingError(f"KEK {kek_id!r} must have 32 bytes (256 bits)")
    return raw
