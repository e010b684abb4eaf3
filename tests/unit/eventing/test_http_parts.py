"""The pure parts of the shared HTTP conventions: masking, cursors, If-Match, freshness."""

from __future__ import annotations

import pytest

from contracts.values import Address, Receiver
from eventing.decider import Rejection
from eventing.http.access import (
    Parties,
    may_see,
    require_buyer,
    require_party,
    require_platform,
    sees_personal_data,
    shop_scope,
)
from eventing.http.auth import Authenticator, Caller, Role, TokenIssuer
from eventing.http.commands import etag, if_match
from eventing.http.freshness import wait_for_version
from eventing.http.masking import mask_name, mask_phone, mask_receiver
from eventing.http.pagination import decode_cursor, encode_cursor, page_of
from eventing.http.problems import ProblemError

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
CALLER = Caller(Role.BUYER, "b-1")


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("A", "*"), ("Alice", "A****")]
)
def test_names_keep_only_their_first_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("+8613812345678", "+86*******5678"), ("12345", "*****")],
)
def test_phones_keep_the_first_three_and_last_four_digits(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_a_masked_receiver_keeps_the_region_but_not_the_street() -> None:
    receiver = Receiver(
        name="张三",
        phone="13812345678",
        address=Address(province="浙江省", city="杭州市", district="西湖区", street="文三路 90 号"),
    )
    masked = mask_receiver(receiver)
    assert (masked.name, masked.phone) == ("张*", "138****5678")
    assert (masked.address.province, masked.address.city, masked.address.district) == (
        "浙江省",
        "杭州市",
        "西湖区",
    )
    assert "文三路" not in masked.address.street


def test_a_cursor_round_trips_its_sort_key() -> None:
    position = {"created_at": "2026-11-25T10:00:00+00:00", "order_id": "o-9"}
    assert decode_cursor(encode_cursor(position), required=["order_id"]) == position


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", encode_cursor({"other": 1})])
def test_a_foreign_cursor_is_a_400(cursor: str) -> None:
    with pytest.raises(ProblemError) as raised:
        decode_cursor(cursor, required=["order_id"])
    assert (raised.value.status, raised.value.code) == (400, "invalid-cursor")


def test_a_page_has_a_next_cursor_only_when_more_rows_exist() -> None:
    full = page_of([1, 2, 3], 2, str, lambda row: {"n": row})
    last = page_of([1, 2], 2, str, lambda row: {"n": row})
    assert full.items == ["1", "2"]
    assert decode_cursor(full.next_cursor or "") == {"n": 2}
    assert last.next_cursor is None


@pytest.mark.parametrize(("header", "version"), [('"7"', 7), ('W/"7"', 7), (None, None)])
async def test_if_match_accepts_the_etags_we_send(header: str | None, version: int | None) -> None:
    assert await if_match(CALLER, header) == version


@pytest.mark.parametrize("header", ['"abc"', "7", '"7', '"1234567890123456789"', '"-1"', "*"])
async def test_if_match_refuses_what_is_not_an_entity_tag_of_a_version(header: str) -> None:
    with pytest.raises(ProblemError) as raised:
        await if_match(CALLER, header)
    assert raised.value.code == "invalid-if-match"


def test_etags_are_quoted_versions() -> None:
    assert etag(12) == '"12"'


def test_not_yet_known_is_a_retryable_conflict() -> None:
    assert (Rejection.NOT_YET_KNOWN.status, Rejection.NOT_YET_KNOWN.retryable) == (409, True)
    assert (Rejection.INVALID.status, Rejection.INVALID.retryable) == (422, False)


def test_a_token_carries_role_subject_and_shop() -> None:
    token = TokenIssuer(SECRET).issue(Role.SELLER, "clerk-1", "shop-1")
    assert Authenticator(SECRET).caller(token) == Caller(Role.SELLER, "clerk-1", "shop-1")


def test_a_seller_token_without_a_shop_is_refused() -> None:
    token = TokenIssuer(SECRET).issue(Role.SELLER, "clerk-1")
    with pytest.raises(ProblemError) as raised:
        Authenticator(SECRET).caller(token)
    assert raised.value.status == 401


async def test_freshness_waits_until_the_read_model_reaches_the_version() -> None:
    versions = iter([1, 1, 2, 3])

    async def fetch() -> int:
        return next(versions)

    assert await wait_for_version(fetch, lambda v: v, 3) == 3


async def test_freshness_gives_up_with_a_retryable_409_when_the_model_lags() -> None:
    async def fetch() -> int:
        return 1

    with pytest.raises(ProblemError) as raised:
        await wait_for_version(fetch, lambda v: v, 2, timeout=0.05)
    assert (raised.value.status, raised.value.code) == (409, "read-model-behind")


def test_tokens_whose_subject_no_event_could_carry_are_refused() -> None:
    issuer, authenticator = TokenIssuer(SECRET), Authenticator(SECRET)
    assert authenticator.caller(issuer.issue(Role.BUYER, "b" * 128)).subject == "b" * 128
    with pytest.raises(ProblemError) as refused:
        authenticator.caller(issuer.issue(Role.BUYER, "b" * 129))
    assert refused.value.status == 401
    with pytest.raises(ProblemError):
        authenticator.caller(issuer.issue(Role.SELLER, "clerk", "s" * 65))


def test_access_rules_over_parties() -> None:
    parties = Parties(buyer_id="b-1", shop_id="shop-1")
    buyer, seller = Caller(Role.BUYER, "b-1"), Caller(Role.SELLER, "c-1", "shop-1")
    stranger, other_shop = Caller(Role.BUYER, "b-2"), Caller(Role.SELLER, "c-9", "shop-9")
    ops, platform = Caller(Role.OPS, "o-1"), Caller(Role.PLATFORM, "p-1")
    assert [may_see(c, parties) for c in (buyer, seller, stranger, other_shop, ops, platform)] == [
        True, True, False, False, True, True,
    ]  # fmt: skip
    assert [sees_personal_data(c, parties) for c in (buyer, seller, ops, platform)] == [
        True, True, False, True,
    ]  # fmt: skip
    assert shop_scope(seller, None) == "shop-1"
    assert shop_scope(ops, "shop-2") == "shop-2"
    with pytest.raises(ProblemError):
        shop_scope(seller, "shop-2")
    require_party(seller, parties)
    with pytest.raises(ProblemError):
        require_buyer(seller, parties)
    with pytest.raises(ProblemError):
        require_platform(ops, parties)
