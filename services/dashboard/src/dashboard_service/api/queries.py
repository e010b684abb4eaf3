"""Read routes: the figures of one scope and period, a day series, the shops."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from contracts.events.aftersales import ComplaintResponsibility
from dashboard_service.api.context import (
    Parts,
    ShopQuery,
    Viewer,
    bad_query,
    figures_scope,
    own_shop,
    zone_of,
)
from dashboard_service.api.models import (
    AftersalesFigures,
    ComplaintFigures,
    CountedMoney,
    DayView,
    FiguresView,
    FollowUpFigures,
    LastEventView,
    OrderFigures,
    RatingFigures,
    ScopeView,
    SeriesView,
    ShippingFigures,
    ShopsView,
    ShopView,
)
from dashboard_service.domain.figures import (
    average_per_currency,
    money_share,
    score_average,
    share,
)
from dashboard_service.domain.series import series_days
from dashboard_service.projections import queries
from dashboard_service.projections.queries import Scope
from eventing.http.problems import problem_responses
from eventing.periods import (
    RATINGS_WINDOW,
    Day,
    PeriodKind,
    PeriodRefused,
    ReportingPeriod,
    TimeZoneName,
    day_start,
    reporting_period,
)

router = APIRouter(prefix="/v1", tags=["figures"])
_ERRORS = problem_responses(401, 403, 422)
TimeZoneQuery = Annotated[
    TimeZoneName | None,
    Query(max_length=64, description="IANA time zone (default DASHBOARD_TIME_ZONE)."),
]
# `Day`, not `date`: pydantic would read `on=0` as a Unix timestamp.
OnQuery = Annotated[
    Day | None,
    Query(description="YYYY-MM-DD: the day, week or month containing it (default today)."),
]
FromQuery = Annotated[Day | None, Query(alias="from", description="YYYY-MM-DD.")]
ToQuery = Annotated[Day | None, Query(alias="to", description="YYYY-MM-DD, inclusive.")]


@router.get(
    "/figures",
    response_model=FiguresView,
    responses=_ERRORS,
    summary="The figures of a shop or the platform for a day, week, month, range or all time",
)
async def figures(
    caller: Viewer,
    parts: Parts,
    shop_id: ShopQuery = None,
    period_kind: Annotated[PeriodKind, Query(alias="period")] = PeriodKind.DAY,
    on: OnQuery = None,
    first: FromQuery = None,
    last: ToQuery = None,
    tz: TimeZoneQuery = None,
) -> FiguresView:
    """Orders, ratings, shipping and after-sales figures; weeks start on Monday. With
    period=all, shipping and after-sales equal the logistics and aftersales shop figures."""
    shop = figures_scope(caller, shop_id)
    now = await parts.now()
    zone = zone_of(tz, parts)
    try:
        chosen = reporting_period(
            period_kind, zone, today=now.astimezone(zone).date(), on=on, first=first, last=last
        )
    except PeriodRefused as refused:
        raise bad_query(refused) from None
    scope = Scope(shop, chosen.start, chosen.end)
    async with parts.engine.connect() as connection:
        orders = await queries.order_counts(connection, scope)
        ratings = await queries.rating_counts(connection, shop, chosen.ratings_window(now))
        shipping = await queries.shipping_counts(connection, scope)
        cases = await queries.case_counts(connection, scope)
        complaints = await queries.complaint_counts(connection, scope)
        latest = await queries.latest_event(connection, shop)
    return FiguresView(
        scope=_scope_view(shop, chosen, zone),
        last_event=LastEventView(
            at=_local(latest.at, zone), type=latest.type, applied_at=_local(latest.applied_at, zone)
        ),
        orders=_orders(orders),
        ratings=RatingFigures(
            window_days=RATINGS_WINDOW.days,
            count=ratings.count,
            description=score_average(ratings.description, ratings.count),
            service=score_average(ratings.service, ratings.count),
            shipping_speed=score_average(ratings.shipping_speed, ratings.count),
            follow_up=FollowUpFigures(
                needed=ratings.follow_ups,
                answered=ratings.follow_ups_answered,
                answered_in_time=ratings.follow_ups_answered_in_time,
                rate=share(ratings.follow_ups_answered, ratings.follow_ups),
                rate_in_time=share(ratings.follow_ups_answered_in_time, ratings.follow_ups),
            ),
        ),
        shipping=ShippingFigures(
            requested=shipping.requested,
            shipped=shipping.shipped,
            within_24h_share=share(shipping.within_24h, shipping.shipped),
            within_48h_share=share(shipping.within_48h, shipping.shipped),
            target_missed=shipping.target_missed,
            limit_missed=shipping.limit_missed,
            with_exceptions=shipping.with_exceptions,
            exception_rate=share(shipping.with_exceptions, shipping.shipped),
            cancelled=shipping.cancelled,
        ),
        aftersales=AftersalesFigures(
            paid_orders=orders.paid,
            cases=cases.cases,
            refund_rate=share(cases.cases, orders.paid),
            refunded=cases.refunded,
            refund_amount_rate=money_share(cases.refunded, orders.gmv),
            timeouts=cases.timeouts,
            disputes=cases.disputes,
            dispute_rate=share(cases.disputes, cases.cases),
            rulings=cases.rulings,
            ruled_against_seller_share=share(cases.ruled_against_seller, cases.rulings),
        ),
        complaints=ComplaintFigures(
            filed=complaints.filed,
            rate=share(complaints.filed, orders.paid),
            resolved_within_deadline=complaints.resolved_within_deadline,
            resolved_within_deadline_share=share(
                complaints.resolved_within_deadline, complaints.filed
            ),
            escalated=complaints.escalated,
            escalated_share=share(complaints.escalated, complaints.filed),
            responsibility={
                party.value: complaints.responsibility.get(party.value, 0)
                for party in ComplaintResponsibility
            },
        ),
    )


def _orders(counts: queries.OrderCounts) -> OrderFigures:
    def counted(value: queries.Counted) -> CountedMoney:
        return CountedMoney(count=value.count, amount=value.amount)

    return OrderFigures(
        placed=counts.placed, paid=counts.paid, gmv=counts.gmv,
        payment_conversion=share(counts.placed_and_paid, counts.placed),
        average_order_value=average_per_currency(
            counts.first_paid_payable, counts.first_paid_by_currency
        ),
        cancelled=counts.cancelled, auto_closed_unpaid=counts.auto_closed_unpaid,
        presale_deposits=counted(counts.deposits), presale_balances=counted(counts.balances),
        deposits_forfeited=counted(counts.forfeited),
    )  # fmt: skip


def _scope_view(shop: str | None, chosen: ReportingPeriod, zone: ZoneInfo) -> ScopeView:
    return ScopeView(
        shop_id=shop,
        period=chosen.kind,
        from_=chosen.shown(chosen.start),
        to=chosen.shown(chosen.end),
        time_zone=zone.key,
    )


def _local(at: datetime | None, zone: ZoneInfo) -> datetime | None:
    return at.astimezone(zone) if at is not None else None


@router.get(
    "/series",
    response_model=SeriesView,
    responses=_ERRORS,
    summary="Placed, paid, GMV, refunded and shipped per day",
)
async def series(
    caller: Viewer,
    parts: Parts,
    shop_id: ShopQuery = None,
    first: FromQuery = None,
    last: ToQuery = None,
    tz: TimeZoneQuery = None,
) -> SeriesView:
    """Every day from `from` to `to` (at most 92; default the 14 days ending today), zeros
    included; days are days in `tz`."""
    shop = figures_scope(caller, shop_id)
    now = await parts.now()
    zone = zone_of(tz, parts)
    try:
        days = series_days(first, last, now.astimezone(zone).date())
    except PeriodRefused as refused:
        raise bad_query(refused) from None
    start, end = day_start(days[0], zone), day_start(days[-1] + timedelta(days=1), zone)
    async with parts.engine.connect() as connection:
        buckets = await queries.day_series(connection, Scope(shop, start, end), zone.key, days)
    return SeriesView(
        time_zone=zone.key,
        buckets=[DayView(day=day, **_bucket(bucket)) for day, bucket in buckets.items()],
    )


def _bucket(bucket: queries.DayBucket) -> dict[str, Any]:
    return {"placed": bucket.placed, "paid": bucket.paid, "gmv": bucket.gmv,
            "refunded": bucket.refunded, "shipped": bucket.shipped}  # fmt: skip


@router.get(
    "/shops",
    response_model=ShopsView,
    responses=problem_responses(401, 403),
    summary="The shops the dashboard has seen events of (a seller: its own)",
)
async def shops(caller: Viewer, parts: Parts) -> ShopsView:
    """The shops the dashboard has seen events of, for its shop picker; a seller sees only their own
    shop."""
    async with parts.engine.connect() as connection:
        rows = await queries.shops(connection, own_shop(caller))
    return ShopsView(
        shops=[ShopView(shop_id=row.shop_id, last_event_at=row.last_event_at) for row in rows]
    )
