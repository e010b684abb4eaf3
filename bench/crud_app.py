"""The conventional contender of benchmark 2: what a team would write instead of event sourcing.

`uvicorn --factory bench.crud_app:create_app` with `BENCH_CRUD_DSN` (and `BENCH_CRUD_SECRET`,
the services' token key) set, served with the same uvicorn command line as the services. It
answers the order service's place-order and pay-order requests (same URLs, same bodies, same
answers' shape) the way a FastAPI + SQLAlchemy 2 ORM + asyncpg service would, compact but with
what such a service needs to be correct, so the comparison is with a fair opponent:

- the same JWT check (`eventing.http.auth`: HS256, issuer, expiry, role) and problem+json errors;
- an Idempotency-Key table: a retry with the same key and body gets the first answer back, the
  same key with another body is refused (422), a refusal is not stored (a retry decides again);
  the stored answer is written in the transaction of the change, so both commit or neither;
- stock rows locked `FOR UPDATE` (in SKU order, so two orders never deadlock) and decremented;
- an `orders` row with its `order_lines`, updated on payment (409 unless awaiting payment), a
  `payments` row;
- a transactional outbox: one row per change, with the type the order service records
  (`order.placed` and `order.stock_reserved` on placement, `order.paid` on payment), written in
  the same transaction (a relay would publish them; none runs here, as none is needed to answer).

Its database engine is the order service's (`eventing.database.create_engine`, pool of 20). The
receiver is stored in clear (the order service seals it: ~40 µs per order, benchmark 9). Only
what benchmark 2 sends is served: buyers placing orders for themselves, successful full
payments recorded by the payment provider (`system`) or the platform, and a seller's stocktake.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Identity, String, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from contracts.values import Amount, Identifier, Money, Quantity
from eventing.database import create_engine
from eventing.http.auth import Authenticator, Caller, CurrentCaller, Role
from eventing.http.problems import ProblemError, install_problem_handlers

POOL_SIZE = 20  # as the order service's engine (order_service.main: pool_size=20)
PAYMENT_WINDOW = timedelta(minutes=30)
KEY_TTL = timedelta(hours=24)
AWAITING_PAYMENT, AWAITING_SHIPMENT = "awaiting_payment", "awaiting_shipment"
PLATFORM_STATUS = {AWAITING_PAYMENT: "WAIT_BUYER_PAY", AWAITING_SHIPMENT: "WAIT_SELLER_SEND_GOODS"}


# --- tables -------------------------------------------------------------------------------


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSONB,
        datetime: DateTime(timezone=True),
        str: String(256),
    }


class Stock(Base):
    __tablename__ = "stock"
    __table_args__ = (CheckConstraint("available >= 0", name="stock_available_not_negative"),)

    shop_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    available: Mapped[int]
    updated_at: Mapped[datetime]


class Order(Base):
    __tablename__ = "orders"

    order_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(64), index=True)
    buyer_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    items_total: Mapped[int] = mapped_column(BigInteger)
    shipping_fee: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger)
    payable: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    receiver: Mapped[dict[str, Any]]
    buyer_note: Mapped[str | None]
    payment_due_by: Mapped[datetime]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    lines: Mapped[list[OrderLine]] = relationship(lazy="raise", cascade="all, delete-orphan")


class OrderLine(Base):
    __tablename__ = "order_lines"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.order_id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str]
    unit_price: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int]


class Payment(Base):
    __tablename__ = "payments"

    payment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.order_id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime]


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[dict[str, Any]]
    headers: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    aggregate_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


# --- request bodies -----------------------------------------------------------------------


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ItemBody(Body):
    sku: Identifier
    title: str = Field(min_length=1, max_length=256)
    unit_price: Money
    quantity: Quantity


class AddressBody(Body):
    country: str = Field(default="CN", min_length=2, max_length=2)
    province: str = Field(min_length=1, max_length=64)
    city: str = Field(min_length=1, max_length=64)
    district: str | None = Field(default=None, max_length=64)
    street: str = Field(min_length=1, max_length=256)
    postal_code: str | None = Field(default=None, max_length=16)


class ReceiverBody(Body):
    name: str = Field(min_length=1, max_length=64)
    phone: str = Field(min_length=3, max_length=32)
    address: AddressBody


class PlaceOrderBody(Body):
    shop_id: Identifier
    items: list[ItemBody] = Field(min_length=1, max_length=100)
    receiver: ReceiverBody
    shipping_fee: Amount = 0
    discount: Amount = 0
    payable: Amount | None = None
    buyer_note: str | None = Field(default=None, max_length=500)


class PaymentBody(Body):
    payment_id: Identifier
    stage: Literal["full"] = "full"
    method: Literal["alipay", "wechat_pay", "card", "bank_transfer"]
    amount: Money


class StockBody(Body):
    on_hand: int = Field(ge=0, le=1_000_000_000)


# --- idempotent transactions --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


Work = Callable[[AsyncSession, datetime], Awaitable[Answer]]


async def idempotency_key(
    _: CurrentCaller, key: Annotated[str | None, Header(alias="Idempotency-Key")] = None
) -> str:
    if not key or len(key) > 255 or not key.isascii() or not key.isprintable() or " " in key:
        raise ProblemError(400, "idempotency-key-missing", "An Idempotency-Key header is required")
    return key


IdempotencyKey = Annotated[str, Depends(idempotency_key)]


def _fingerprint(request: Request, body: bytes) -> str:
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> JSONResponse:
    if record.request_hash != fingerprint:
        raise ProblemError(
            422, "idempotency-key-reused", "The Idempotency-Key was used for another request"
        )
    headers = {**record.headers, "Idempotent-Replayed": "true"}
    media_type = headers.pop("Content-Type", "application/json")
    return JSONResponse(record.body, record.status_code, headers=headers, media_type=media_type)


async def idempotent(
    sessions: async_sessionmaker[AsyncSession],
    request: Request,
    caller: Caller,
    key: str,
    work: Work,
) -> JSONResponse:
    """Run `work` once per (caller, key) in one transaction with its stored answer."""
    scope = f"{caller.role.value}:{caller.subject}"
    fingerprint = _fingerprint(request, await request.body())
    now = datetime.now(UTC)
    try:
        async with sessions() as session, session.begin():
            record = await session.get(IdempotencyRecord, (scope, key))
            if record is not None and record.expires_at > now:
                return _replay(record, fingerprint)
            answer = await work(session, now)
            if record is None:
                record = IdempotencyRecord(scope=scope, key=key)
                session.add(record)
            record.request_hash, record.status_code = fingerprint, answer.status_code
            record.body, record.headers = answer.body, answer.headers
            record.created_at, record.expires_at = now, now + KEY_TTL
    except IntegrityError:
        # A concurrent request with the same key committed first: answer with its response.
        async with sessions() as session:
            record = await session.get(IdempotencyRecord, (scope, key))
        if record is None:  # another unique row (a payment id already recorded)
            raise ProblemError(409, "conflict", "Conflicts with what is recorded") from None
        return _replay(record, fingerprint)
    return JSONResponse(answer.body, answer.status_code, headers=answer.headers)


# --- place and pay ------------------------------------------------------------------------


def _cny(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def _outcome(order: Order, events: list[str]) -> dict[str, Any]:
    money = {"currency": order.currency}
    due = order.payment_due_by.isoformat() if order.status == AWAITING_PAYMENT else None
    return {
        "order_id": str(order.order_id),
        "version": order.version,
        "events": events,
        "status": order.status,
        "platform_status": PLATFORM_STATUS.get(order.status),
        "timeout_at": due,
        "detail": {
            "paid": {"amount": order.paid, **money},
            "refundable": {"amount": order.paid, **money},
            "refund_due": {"amount": 0, **money},
            "duplicate_surplus": {"amount": 0, **money},
        },
    }


async def place(session: AsyncSession, body: PlaceOrderBody, buyer: str, now: datetime) -> Answer:
    """Lock the SKUs' stock rows, decrement them, record the order, its lines and the outbox."""
    wanted = Counter[str]()
    for item in body.items:
        wanted[item.sku] += item.quantity
    currencies = {item.unit_price.currency for item in body.items}
    if len(currencies) != 1:
        raise ProblemError(422, "currency-mismatch", "All lines must be in one currency")
    currency = currencies.pop()
    rows = await session.scalars(
        select(Stock)
        .where(Stock.shop_id == body.shop_id, Stock.sku.in_(sorted(wanted)))
        .order_by(Stock.sku)
        .with_for_update()
    )
    stock = {row.sku: row for row in rows}
    short = [sku for sku, n in wanted.items() if sku not in stock or stock[sku].available < n]
    if short:
        raise ProblemError(
            409, "insufficient-stock", "Not enough stock", f"not enough stock for: {short}"
        )
    for sku, quantity in wanted.items():
        stock[sku].available -= quantity
        stock[sku].updated_at = now
    items_total = sum(item.unit_price.amount * item.quantity for item in body.items)
    payable = items_total + body.shipping_fee - body.discount
    if payable < 0 or (body.payable is not None and body.payable != payable):
        raise ProblemError(422, "payable-mismatch", "The payable amount does not add up")
    order = Order(
        order_id=uuid.uuid4(), shop_id=body.shop_id, buyer_id=buyer, status=AWAITING_PAYMENT,
        currency=currency, items_total=items_total, shipping_fee=body.shipping_fee,
        discount=body.discount, payable=payable, paid=0,
        receiver=body.receiver.model_dump(mode="json"), buyer_note=body.buyer_note,
        payment_due_by=now + PAYMENT_WINDOW, version=1, created_at=now, updated_at=now,
        lines=[
            OrderLine(line_no=n, sku=item.sku, title=item.title,
                      unit_price=item.unit_price.amount, quantity=item.quantity)
            for n, item in enumerate(body.items, start=1)
        ],
    )  # fmt: skip
    session.add(order)
    order_id = str(order.order_id)
    placed = {
        "order_id": order_id, "shop_id": body.shop_id, "buyer_id": buyer, "channel": "buyer",
        "goods_kind": "physical", "items": [item.model_dump(mode="json") for item in body.items],
        "receiver": order.receiver, "items_total": _cny(items_total, currency),
        "shipping_fee": _cny(body.shipping_fee, currency),
        "discount": _cny(body.discount, currency), "payable": _cny(payable, currency),
        "payment_due_by": order.payment_due_by.isoformat(), "buyer_note": body.buyer_note,
    }  # fmt: skip
    reserved = {
        "order_id": order_id,
        "shop_id": body.shop_id,
        "items": [{"sku": sku, "quantity": n} for sku, n in sorted(wanted.items())],
    }
    events = ["order.placed", "order.stock_reserved"]
    session.add_all(
        OutboxMessage(aggregate_id=order_id, event_type=kind, payload=payload, created_at=now)
        for kind, payload in zip(events, (placed, reserved), strict=True)
    )
    headers = {"Location": f"/v1/orders/{order_id}", "ETag": '"1"'}
    return Answer(201, _outcome(order, events), headers)


async def pay(
    session: AsyncSession, order_id: uuid.UUID, body: PaymentBody, now: datetime
) -> Answer:
    """Lock the order's row; if it awaits this payment, mark it paid, record the payment and
    the outbox row."""
    order = await session.get(Order, order_id, with_for_update=True)
    if order is None:
        raise ProblemError(404, "not-found", "No such order")
    if order.status != AWAITING_PAYMENT:
        raise ProblemError(
            409, "invalid-state", "The order does not await a payment", f"it is {order.status}"
        )
    if body.amount.amount != order.payable or body.amount.currency != order.currency:
        raise ProblemError(422, "amount-mismatch", "The amount is not what the order costs")
    order.status, order.paid = AWAITING_SHIPMENT, body.amount.amount
    order.version += 1
    order.updated_at = now
    session.add(
        Payment(
            payment_id=body.payment_id, order_id=order.order_id, stage=body.stage,
            method=body.method, amount=body.amount.amount, currency=body.amount.currency,
            paid_at=now,
        )
    )  # fmt: skip
    paid = {
        "order_id": str(order_id), "shop_id": order.shop_id, "payment_id": body.payment_id,
        "method": body.method, "amount": body.amount.model_dump(mode="json"),
        "paid_at": now.isoformat(),
    }  # fmt: skip
    session.add(
        OutboxMessage(
            aggregate_id=str(order_id), event_type="order.paid", payload=paid, created_at=now
        )
    )
    return Answer(200, _outcome(order, ["order.paid"]), {"ETag": f'"{order.version}"'})


# --- the app ------------------------------------------------------------------------------


def create_app() -> FastAPI:
    dsn = os.environ["BENCH_CRUD_DSN"]
    engine = create_engine(dsn, pool_size=POOL_SIZE)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(title="CRUD contender", lifespan=lifespan)
    app.state.authenticator = Authenticator(os.environ["BENCH_CRUD_SECRET"])
    install_problem_handlers(app)

    @app.get("/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/v1/orders", status_code=201)
    async def place_order(
        body: PlaceOrderBody, request: Request, caller: CurrentCaller, key: IdempotencyKey
    ) -> JSONResponse:
        if caller.role is not Role.BUYER:
            raise ProblemError(403, "forbidden", "Forbidden", "buyers place their own orders")

        async def work(session: AsyncSession, now: datetime) -> Answer:
            return await place(session, body, caller.subject, now)

        return await idempotent(sessions, request, caller, key, work)

    @app.post("/v1/orders/{order_id}/payments")
    async def record_payment(
        order_id: uuid.UUID,
        body: PaymentBody,
        request: Request,
        caller: CurrentCaller,
        key: IdempotencyKey,
    ) -> JSONResponse:
        if caller.role not in (Role.SYSTEM, Role.PLATFORM):
            raise ProblemError(403, "forbidden", "Forbidden", "payments come from the provider")

        async def work(session: AsyncSession, now: datetime) -> Answer:
            return await pay(session, order_id, body, now)

        return await idempotent(sessions, request, caller, key, work)

    @app.put("/v1/shops/{shop_id}/skus/{sku}/stock")
    async def set_stock(
        shop_id: str, sku: str, body: StockBody, caller: CurrentCaller
    ) -> dict[str, Any]:
        if not caller.is_seller_of(shop_id):
            raise ProblemError(403, "forbidden", "Forbidden", "only the shop's sellers count stock")
        now = datetime.now(UTC)
        statement = insert(Stock).values(
            shop_id=shop_id, sku=sku, available=body.on_hand, updated_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=[Stock.shop_id, Stock.sku],
            set_={"available": body.on_hand, "updated_at": now},
        )
        async with sessions() as session, session.begin():
            await session.execute(statement)
        return {"shop_id": shop_id, "sku": sku, "available": body.on_hand}

    return app
