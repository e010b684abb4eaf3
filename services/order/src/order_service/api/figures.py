"""The shop figures (`GET /v1/stats/shops/{shop_id}`) and the platform's (`GET /v1/stats/
platform`): orders, payments, GMV, conversion, order value, cancels, automatic closes, presale
money, average ratings and complaints over a day, week, month, range of days or all time, in
a time zone (the shop policy's by default)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError

from eventing.clock import refresh_clock
from eventing.http.access import shop_scope
from eventing.http.auth import Caller, Role, require_roles
from eventing.http.paths import ShopId
from eventing.http.problems import problem_responses
from eventing.periods import (
    RATINGS_WINDOW,
    Day,
    PeriodKind,
    PeriodRefused,
    ReportingPeriod,
    TimeZoneName,
    reporting_period,
)
from order_service.api.complaint_figure_models import ComplaintFigures
from order_service.api.context import Kit
from order_service.api.figure_models import (
    Figures,
    FiguresScope,
    FollowUpFigures,
    MoneyTally,
    OrderFigures,
    RatingFigures,
)
from order_service.application.commands import OrderKit
from order_service.application.shop_policy import OrderShopPolicy
from order_service.projections.complaint_figures import ComplaintTotals, complaint_totals
from order_service.projections.figure_queries import (
    FigureTotals,
    Interval,
    PerCurrency,
    Tally,
    figure_totals,
)

router = APIRouter(prefix="/v1/stats", tags=["figures"])

ShopFigureReader = Annotated[
    Caller, Depends(require_roles(Role.SELLER, Role.PLATFORM, Role.OPS, Role.SYSTEM))
]
PlatformFigureReader = Annotated[
    Caller, Depends(require_roles(Role.PLATFORM, Role.OPS, Role.SYSTEM))
]
FIGURE_PROBLEMS = problem_responses(401, 403, 422)


@dataclass(frozen=True, slots=True)
class FigureQuery:
    """The query string of a figures request, checked one parameter at a time."""

    period: PeriodKind
    on: Day | None
    first: Day | None
    last: Day | None
    tz: str | None


async def figure_query(
    period: Annotated[
        PeriodKind, Query(description="day, week (Monday to Sunday), month, range or all.")
    ] = PeriodKind.DAY,
    on: Annotated[
        Day | None,
        Query(description="YYYY-MM-DD: the day, week or month containing it (default today)."),
    ] = None,
    first: Annotated[
        Day | None,
        Query(alias="from", description="YYYY-MM-DD, first day of a range (period=range)."),
    ] = None,
    last: Annotated[
        Day | None,
        Query(
            alias="to",
            description="YYYY-MM-DD, last day of a range, inclusive (period=range; at most "
            "366 days from `from`).",
        ),
    ] = None,
    tz: Annotated[
        TimeZoneName | None,
        Query(
            max_length=64,
            description="IANA time zone of the days (default: the shop policy's `time_zone`; "
            "for the platform, the service's DEFAULT_TIME_ZONE).",
        ),
    ] = None,
) -> FigureQuery:
    return FigureQuery(period, on, first, last, tz)


Query_ = Annotated[FigureQuery, Depends(figure_query)]


@router.get(
    "/shops/{shop_id}",
    summary="A shop's order figures: placed, paid, GMV, conversion, order value, closes, ratings",
    description="A seller reads its own shop only; the platform, ops and systems any shop. "
    "Each fact counts by its own business time in the period, in the shop's time zone.",
    response_model=Figures,
    response_model_by_alias=True,
    responses=FIGURE_PROBLEMS,
)
async def shop_figures(
    shop_id: ShopId, caller: ShopFigureReader, kit: Kit, query: Query_
) -> Figures:
    shop_scope(caller, shop_id)
    now = await _now(kit)
    async with kit.engine.connect() as connection:
        zone = query.tz
        if zone is None:
            policy = (await kit.policies.get(connection, shop_id)).policy
            assert isinstance(policy, OrderShopPolicy)
            zone = policy.time_zone
        period = _period(query, zone, now)
        totals = await figure_totals(
            connection, shop_id, _interval(period), Interval(*period.ratings_window(now))
        )
        complaints = await complaint_totals(connection, shop_id, period.start, period.end)
    return _figures(shop_id, zone, period, totals, complaints)


@router.get(
    "/platform",
    summary="The whole platform's order figures (platform, ops and systems)",
    description="The shop figures summed over every shop, in `tz` (default the service's "
    "DEFAULT_TIME_ZONE).",
    response_model=Figures,
    response_model_by_alias=True,
    responses=FIGURE_PROBLEMS,
)
async def platform_figures(_: PlatformFigureReader, kit: Kit, query: Query_) -> Figures:
    zone = query.tz or kit.settings.default_time_zone
    now = await _now(kit)
    period = _period(query, zone, now)
    async with kit.engine.connect() as connection:
        totals = await figure_totals(
            connection, None, _interval(period), Interval(*period.ratings_window(now))
        )
        complaints = await complaint_totals(connection, None, period.start, period.end)
    return _figures(None, zone, period, totals, complaints)


async def _now(kit: OrderKit) -> datetime:
    """The service clock, re-read first: "today" and the ratings window follow a moved clock
    (tests, demos) at once, not at the deadline worker's next tick."""
    await refresh_clock(kit.runtime.clock)
    return kit.runtime.clock.now()


def _period(query: FigureQuery, zone_name: str, now: datetime) -> ReportingPeriod:
    """The period asked for; a refusal answers 422 naming the parameter, like a schema error."""
    zone = ZoneInfo(zone_name)
    try:
        return reporting_period(
            query.period,
            zone,
            today=now.astimezone(zone).date(),
            on=query.on,
            first=query.first,
            last=query.last,
        )
    except PeriodRefused as refused:
        error = {"loc": ("query", refused.parameter), "msg": refused.reason, "type": "value_error"}
        raise RequestValidationError([error]) from refused


def _interval(period: ReportingPeriod) -> Interval:
    return Interval(period.start, period.end)


def _figures(
    shop_id: str | None,
    zone: str,
    period: ReportingPeriod,
    totals: FigureTotals,
    complaints: ComplaintTotals,
) -> Figures:
    ratings = totals.ratings
    return Figures(
        scope=FiguresScope(
            shop_id=shop_id,
            period=period.kind,
            from_=period.shown(period.start),
            to=period.shown(period.end),
            time_zone=zone,
        ),
        orders=OrderFigures(
            placed=totals.placed,
            paid=totals.first_paid.count,
            gmv=totals.gmv,
            payment_conversion=share(totals.placed_then_paid, totals.placed),
            average_order_value=average_order_value(totals.first_paid),
            cancelled=totals.cancelled,
            auto_closed_unpaid=totals.auto_closed_unpaid,
            presale_deposits=_tally(totals.presale_deposits),
            presale_balances=_tally(totals.presale_balances),
            deposits_forfeited=_tally(totals.deposits_forfeited),
        ),
        ratings=RatingFigures(
            window_days=RATINGS_WINDOW.days,
            count=ratings.count,
            description=average_score(ratings.description, ratings.count),
            service=average_score(ratings.service, ratings.count),
            shipping_speed=average_score(ratings.shipping_speed, ratings.count),
            follow_up=FollowUpFigures(
                needed=ratings.follow_ups,
                answered=ratings.follow_ups_answered,
                answered_in_time=ratings.follow_ups_answered_in_time,
                rate=share(ratings.follow_ups_answered, ratings.follow_ups),
                rate_in_time=share(ratings.follow_ups_answered_in_time, ratings.follow_ups),
            ),
        ),
        complaints=ComplaintFigures.of(complaints, totals.first_paid.count),
    )


def _tally(tally: Tally) -> MoneyTally:
    return MoneyTally(count=tally.count, amount=tally.amount)


def share(part: int, whole: int) -> float | None:
    """`part / whole`, unrounded (as the dashboard gives it); None when there is no whole."""
    return part / whole if whole else None


def average_order_value(first_paid: Tally) -> PerCurrency:
    """Per currency: the summed payable over the count, rounded half up to a minor unit."""
    per_order: PerCurrency = {}
    for currency, amount in first_paid.amount.items():
        count = first_paid.counts[currency]
        per_order[currency] = (2 * amount + count) // (2 * count)
    return per_order


def average_score(total: int, count: int) -> float | None:
    """A rating average to 2 decimals, half up (exactly, not through a binary float)."""
    if not count:
        return None
    return float((Decimal(total) / count).quantize(Decimal("0.01"), ROUND_HALF_UP))
