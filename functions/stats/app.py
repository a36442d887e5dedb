"""Statistics API: sales, payments, products and after-sales figures by day, week, month or quarter, for
the platform or one store, read from the pre-aggregated rows the statistics consumer keeps (one Query
per series; docs/statistics.md). Thin: parse, authorize, call oms, shape the response."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.http import actor, answer, make_resolver
from oms.api.ids import NAME_ID_MAX, NAME_ID_PATTERN
from oms.api.statistics_views import AfterSalesStats, PaymentStats, ProductStats, SalesStats
from oms.domain.errors import InvalidRequest
from oms.domain.permissions import Permission
from oms.domain.statistics import MAX_TOP, Granularity

logger = Logger()
app = make_resolver(logger, tag="Statistics")
services = wiring.services()
snapstart.build_before_snapshot(services, "statistics")

DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
From = Annotated[
    str | None,
    Query(alias="from", pattern=DAY, description="First day (UTC); default: 29 days before `to`."),
]
To = Annotated[str | None, Query(alias="to", pattern=DAY, description="Last day (UTC), inclusive; default: today.")]
Grain = Annotated[
    Granularity,
    Query(description="Periods: day (at most 92), week (ISO, 53), month (24) or quarter (8)."),
]
Store = Annotated[
    str | None,
    Query(max_length=NAME_ID_MAX, pattern=NAME_ID_PATTERN, description="One store's figures; absent: the platform's."),
]
Top = Annotated[int | None, Query(ge=1, le=MAX_TOP, description=f"Best sellers per period (default 10, 1..{MAX_TOP}).")]


def _day(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"`{field}` is not a day", field=field) from None


@app.endpoint("GET", "/stats/sales", permits=Permission.STATS_READ)
def sales(from_: From = None, to: To = None, granularity: Grain = Granularity.DAY, store: Store = None) -> SalesStats:
    """Orders placed and paid, sales (paid amounts), average order value, growth against the previous
    period, cancellations, conversion (placed → paid, by the placed period) and the repurchase rate."""
    body = services.statistics.sales(actor(app), _day(from_, "from"), _day(to, "to"), granularity, store)
    return answer(SalesStats, body)


@app.endpoint("GET", "/stats/payments", permits=Permission.STATS_READ)
def payments(
    from_: From = None, to: To = None, granularity: Grain = Granularity.DAY, store: Store = None
) -> PaymentStats:
    """Payment method share, payment success rate (attempts of paid orders) and time from placement to payment."""
    body = services.statistics.payments(actor(app), _day(from_, "from"), _day(to, "to"), granularity, store)
    return answer(PaymentStats, body)


@app.endpoint("GET", "/stats/products", permits=Permission.STATS_READ)
def products(
    from_: From = None, to: To = None, granularity: Grain = Granularity.DAY, store: Store = None, top: Top = None
) -> ProductStats:
    """Best sellers (top `top` products per period by revenue) and every category, with revenue shares."""
    body = services.statistics.products(actor(app), _day(from_, "from"), _day(to, "to"), granularity, store, top)
    return answer(ProductStats, body)


@app.endpoint("GET", "/stats/after-sales", permits=Permission.STATS_READ)
def after_sales(
    from_: From = None, to: To = None, granularity: Grain = Granularity.DAY, store: Store = None
) -> AfterSalesStats:
    """After-sales cases opened by reason and type (with the amounts asked) and refunds paid back, by kind."""
    body = services.statistics.after_sales(actor(app), _day(from_, "from"), _day(to, "to"), granularity, store)
    return answer(AfterSalesStats, body)


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
