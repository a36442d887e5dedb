"""Sales channels (seed 004's 电商渠道 and 电商订单): channel stores (create, edit, enable/disable, list with
the total balance, sync with the channel, findings), the channels' order-file imports (their signed
callbacks: functions/channel_callbacks), the e-commerce order list (tabs all / platform / channel) and the
daily checks. Thin: parse, authorize, call oms, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.http import actor, answer, etag, if_match, make_resolver
from oms.api.params import Cursor, IfMatch, Limit
from oms.api.virtual_schemas import (
    ChannelFindingPage,
    ChannelImportIn,
    ChannelImportResult,
    ChannelStore,
    ChannelStoreCreated,
    ChannelStoreIn,
    ChannelStorePage,
    ChannelStorePatch,
    ChannelStoreStatusIn,
    DailyChecks,
    EcomOrderPage,
    EcomTab,
    channel_orders_from_csv,
)
from oms.domain.channels import ChannelType
from oms.domain.permissions import Permission

logger = Logger()
app = make_resolver(logger, tag="Sales channels")
services = wiring.services()
snapstart.build_before_snapshot(services, "channels")


@app.endpoint("POST", "/channel-stores", status=201, permits=Permission.CHANNEL_MANAGE, problems=(409,))
def create_store(body: Annotated[ChannelStoreIn, Body()]) -> ChannelStoreCreated:
    """Add a channel store (添加): its name, channel type, front-end ordering user (whose balance is the
    channel's), redemption domain and connected account. The answer carries the callback signing secret,
    shown only this once."""
    return answer(ChannelStoreCreated, services.channels.create(actor(app), body.model_dump()))


@app.endpoint("GET", "/channel-stores", permits=Permission.CHANNEL_READ)
def list_stores(
    q: Annotated[str | None, Query(max_length=100, description="Part of the name, domain or user id.")] = None,
    channelType: Annotated[ChannelType | None, Query(description="Only this channel type.")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> ChannelStorePage:
    """Channel stores in sort order with their balances, and the total balance per currency of all matched."""
    result = services.channels.list(actor(app), q=q, channel_type=channelType, limit=limit, cursor=cursor)
    return answer(ChannelStorePage, result)


@app.endpoint("GET", "/channel-stores/{storeId}", permits=Permission.CHANNEL_READ, problems=(404,), headers=("ETag",))
def get_store(storeId: str) -> Response[ChannelStore]:
    """One channel store (ETag: its version)."""
    result = services.channels.get(actor(app), storeId)
    return Response(200, "application/json", answer(ChannelStore, result), etag(result["version"]))


@app.endpoint(
    "PATCH",
    "/channel-stores/{storeId}",
    permits=Permission.CHANNEL_MANAGE,
    problems=(404, 409, 412),
    headers=("ETag",),
)
def update_store(
    storeId: str, body: Annotated[ChannelStorePatch, Body()], ifMatch: IfMatch = None
) -> Response[ChannelStore]:
    """Edit a channel store (If-Match: only if it still has that version); audited. The ordering user changes
    only while no order of the store is unsettled."""
    changes: dict[str, Any] = {k: getattr(body, k) for k in body.model_fields_set}
    result = services.channels.update(actor(app), storeId, changes, if_match(app))
    return Response(200, "application/json", answer(ChannelStore, result), etag(result["version"]))


@app.endpoint("POST", "/channel-stores/{storeId}/status", permits=Permission.CHANNEL_MANAGE, problems=(404, 409))
def set_status(storeId: str, body: Annotated[ChannelStoreStatusIn, Body()]) -> ChannelStore:
    """Enable or disable a store, with a reason; audited. Disabling is refused (409
    `channel-store-unsettled`, listing them) while any of its orders is not completed, closed or cancelled."""
    return answer(ChannelStore, services.channels.set_enabled(actor(app), storeId, body.enabled, body.reason))


@app.endpoint("POST", "/channel-stores/{storeId}/sync", permits=Permission.CHANNEL_MANAGE, problems=(404,))
def sync_store(storeId: str) -> ChannelStore:
    """Sync channel info (同步渠道信息): the channel's account and balance; the account is refreshed, a
    balance differing from the ledger's (or a changed account) is recorded as a finding."""
    return answer(ChannelStore, services.channels.sync(actor(app), storeId))


@app.endpoint("GET", "/channel-findings", permits=Permission.CHANNEL_READ)
def findings(
    storeId: Annotated[str | None, Query(max_length=64, description="Only this store's.")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> ChannelFindingPage:
    """What syncs found (balance differences, changed accounts), newest first."""
    page = services.channels.findings(actor(app), storeId, limit, cursor)
    return answer(ChannelFindingPage, {"items": page.items, "next_cursor": page.next_cursor})


@app.endpoint(
    "POST",
    "/channel-stores/{storeId}/imports",
    permits=Permission.CHANNEL_MANAGE,
    problems=(404,),
    csv=channel_orders_from_csv,
)
def import_orders(storeId: str, body: Annotated[ChannelImportIn, Body()]) -> ChannelImportResult:
    """Import a channel's order file: CSV (`text/csv`, header `channelOrderNo,skuId,quantity[,buyer]`, an
    order's lines on rows with its number), or JSON `{"file": "<the same text>"}`. Each order is placed
    (paid from the store's balance), or answered as a duplicate of the one its number placed; a result per
    order."""
    return answer(ChannelImportResult, services.channels.import_orders(actor(app), storeId, body.file))


@app.endpoint("GET", "/ecommerce-orders", permits=Permission.CHANNEL_READ)
def ecommerce_orders(
    tab: Annotated[EcomTab, Query(description="all (default), platform or channel orders.")] = EcomTab.ALL,
    storeId: Annotated[
        str | None, Query(max_length=64, description="A channel store's (or a merchant store's).")
    ] = None,
    stage: Annotated[str | None, Query(pattern="^[A-Z_]{3,30}$", description="PENDING_DELIVERY, FROZEN, ...")] = None,
    channelOrderNo: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")] = None,
    userId: Annotated[str | None, Query(max_length=128, description="The ordering user.")] = None,
    createdFrom: Annotated[str | None, Query(max_length=40)] = None,
    createdTo: Annotated[str | None, Query(max_length=40)] = None,
    redeemedFrom: Annotated[str | None, Query(max_length=40)] = None,
    redeemedTo: Annotated[str | None, Query(max_length=40)] = None,
    redemptionStatus: Annotated[str | None, Query(pattern="^(PENDING|REDEEMED)$")] = None,
    verificationStatus: Annotated[str | None, Query(pattern="^(PENDING|VERIFIED)$")] = None,
    afterSalesStatus: Annotated[str | None, Query(pattern="^PENDING$")] = None,
    deleted: Annotated[bool, Query(description="The soft-deleted orders instead.")] = False,
    limit: Limit = None,
    cursor: Cursor = None,
) -> EcomOrderPage:
    """The e-commerce order list (电商订单): orders with virtual goods, newest first, with their stage,
    redemption, verification and after-sales status, link and reason. A page reads at most 5 × limit rows;
    `next_cursor` goes on from there."""
    page = services.virtual_goods.ecom_orders(
        actor(app),
        tab=tab.value,
        store_id=storeId,
        stage=stage,
        channel_order_no=channelOrderNo,
        customer_id=userId,
        created_from=createdFrom,
        created_to=createdTo,
        redeemed_from=redeemedFrom,
        redeemed_to=redeemedTo,
        redemption=redemptionStatus,
        verification=verificationStatus,
        after_sales=afterSalesStatus,
        deleted=deleted,
        limit=limit,
        cursor=cursor,
    )
    return answer(EcomOrderPage, {"items": page.items, "next_cursor": page.next_cursor})


@app.endpoint("GET", "/daily-checks", permits=Permission.CHANNEL_READ)
def daily_checks() -> DailyChecks:
    """Seed 004's daily checklist: each channel's balance against the channel side (the latest sync), frozen
    and rejected orders, pending redemption or verification older than 24 h, pending after-sales older than
    24 h, and today's findings."""
    return answer(DailyChecks, services.channels.daily_checks(actor(app)))


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
