"""The composition root: every service built from `Settings` and the `Adapters`, for the functions.

Each function builds one `Services` at import (`services()`), which builds a service on first use and
keeps it: a function imports and builds only the services its own routes use (cold start), and the
services one function builds share their collaborators (one payment service for the orders, the
fulfilment and the timers). Handlers get services only from here; they never import `oms.store`.

What the services reach outside the table — payment providers, the warehouse, the carriers' webhook
secrets — is one `Adapters` bundle. The functions use the ones their environment configures (provider
keys, Secrets Manager, the warehouse URL); the local stack and the tests `configure` their own (the
sandboxes, fakes) in one call, and `reset` withdraws them. Services take their gateways as constructor
parameters: sources that read the configured bundle when called, so a bundle configured after a
function was imported is what its next request uses.

Cross-service collaborators (the fulfilment side's `paid_cancel`, the payments side's `settle_refund`,
the orders side's `complete`) are passed at construction, as callables that build their service only
when first called.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from oms.config import Settings

if TYPE_CHECKING:
    from oms.adapters.carriers import CarrierWebhooks
    from oms.adapters.channels import ChannelGateway
    from oms.adapters.notifier import Notifier
    from oms.adapters.outbox import OutboxRelay
    from oms.adapters.providers.base import PaymentProvider
    from oms.adapters.users import GroupMembership, UserDirectory
    from oms.adapters.warehouse import WarehouseGateway
    from oms.domain.money import Money
    from oms.domain.payment import PaymentMethod
    from oms.domain.permissions import Actor
    from oms.services.accounts import AccountService
    from oms.services.after_commit import AfterCommit
    from oms.services.after_sales import AfterSalesService, CaseFlow, CaseRefundAsk, Deadlines
    from oms.services.audit import AuditService
    from oms.services.batches import BatchService
    from oms.services.carriers import CarrierSettingsService
    from oms.services.catalog import CatalogService
    from oms.services.categories import CategoryService
    from oms.services.channels import ChannelService
    from oms.services.exports import ExportService
    from oms.services.freight import FreightService
    from oms.services.fulfilment import FulfilmentService
    from oms.services.images import ImageService, ThumbnailService
    from oms.services.manual_orders import ManualOrderService
    from oms.services.notifications import NotificationService
    from oms.services.order_desk import OrderDeskService
    from oms.services.order_editing import OrderEditingService
    from oms.services.orders import OrderService
    from oms.services.payments import PaymentService
    from oms.services.personal_data import PersonalDataService
    from oms.services.pricing_admin import PricingAdminService
    from oms.services.product_search import ProductSearchService
    from oms.services.refunds import RefundAsk, RefundService
    from oms.services.reports import ReportService
    from oms.services.risk import RiskService
    from oms.services.roles import RoleService
    from oms.services.statistics import StatisticsService
    from oms.services.stock_movements import StockHistory, StockMovements
    from oms.services.stock_ops import StockOperations
    from oms.services.timeline import TimelineService
    from oms.services.timers import OrderTimers
    from oms.services.virtual_goods import VirtualGoodsService
    from oms.store.records import OrderRecord, RefundRecord
    from oms.store.transactions import Transaction

ProviderSource = Callable[["PaymentMethod"], "PaymentProvider"]


@dataclass(frozen=True)
class Adapters:
    """The gateways the services use; None: the one the function's environment configures, built on first use
    (`OMS_PROVIDER_*` / `OMS_PROVIDER_SECRET_ARN`, `OMS_WAREHOUSE_URL` + `OMS_WAREHOUSE_SECRET_ARN`,
    `OMS_CARRIER_SECRET_ARN`)."""

    providers: ProviderSource | None = None  # payment method -> its provider adapter
    warehouse: WarehouseGateway | None = None
    carrier_webhooks: CarrierWebhooks | None = None
    case_flow: CaseFlow | None = None  # the after-sales case flow (Step Functions from the environment)
    notifier: Notifier | None = None  # email (SES) and SMS (SNS); `SENDER_EMAIL` from the environment
    users: UserDirectory | None = None  # the identity provider's accounts (Cognito's pool, `USER_POOL_ID`)
    user_groups: GroupMembership | None = None  # group membership for the post-confirmation trigger
    channels: ChannelGateway | None = None  # the sales channels' connector (`OMS_CHANNEL_URL` from the environment)


_lock = threading.Lock()
_adapters = Adapters()


def configure(adapters: Adapters) -> None:
    """Use these adapters in every function of the process (the local stack's sandboxes, tests' fakes)."""
    global _adapters
    with _lock:
        _adapters = adapters


def reset() -> None:
    """Back to the adapters the environment configures."""
    configure(Adapters())


def adapters() -> Adapters:
    """The configured bundle (fields left None come from the environment)."""
    return _adapters


def warehouse() -> WarehouseGateway:
    """The warehouse gateway the services use now: the configured one, else an HttpWarehouse from the
    environment (WarehouseUnavailable when none is configured)."""
    configured = _adapters.warehouse
    if configured is not None:
        return configured
    from oms.adapters.warehouse import warehouse_from_environment

    return warehouse_from_environment()


def channel_gateway() -> ChannelGateway:
    """The sales channels' connector: the configured one (the local stack's sandbox), else one from the
    environment (ChannelUnavailable when none is configured)."""
    configured = _adapters.channels
    if configured is not None:
        return configured
    from oms.adapters.channels import gateway_from_environment

    return gateway_from_environment()


def carrier_webhooks() -> CarrierWebhooks:
    """The carriers' webhook verifier the services use now: the configured one, else one built from the
    secret the environment names (CarrierConfigError when none)."""
    configured = _adapters.carrier_webhooks
    if configured is not None:
        return configured
    from oms.adapters.carriers import carrier_webhooks_from_environment

    return carrier_webhooks_from_environment()


def notifier() -> Notifier:
    """The email/SMS sender the notifications use now: the configured one, else SES and SNS with the
    environment's sender."""
    configured = _adapters.notifier
    if configured is not None:
        return configured
    from oms.adapters.notifier import notifier_from_environment

    return notifier_from_environment()


def users() -> UserDirectory:
    """The user directory the services use now: the configured one, else the Cognito pool `USER_POOL_ID`
    names."""
    configured = _adapters.users
    if configured is not None:
        return configured
    from oms.adapters.cognito_users import cognito_directory_from_environment

    return cognito_directory_from_environment()


def user_groups(user_pool_id: str) -> GroupMembership:
    """Group membership for the post-confirmation trigger: the configured one, else the pool the trigger's
    event names (the trigger cannot name the pool in its environment: the pool refers to the trigger)."""
    configured = _adapters.user_groups
    if configured is not None:
        return configured
    from oms.adapters.cognito_users import cognito_directory

    return cognito_directory(user_pool_id)


def services(settings: Settings | None = None) -> Services:
    """One function's services (built when first used), from its environment unless `settings` are given."""
    return Services(settings if settings is not None else Settings.from_env())


class Services:
    """The services of one function, each built on first use and then kept (once per process)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # ---------------------------------------------------------------- adapters
    @cached_property
    def _configured_providers(self) -> ProviderSource:
        from oms.adapters.payment_providers import provider_factory

        return provider_factory()

    def providers(self, method: PaymentMethod) -> PaymentProvider:
        """The provider adapter for a payment method: the configured source's, else the environment's."""
        configured = _adapters.providers
        return configured(method) if configured is not None else self._configured_providers(method)

    # ---------------------------------------------------------------- services
    @cached_property
    def orders(self) -> OrderService:
        """Orders; a whole-order cancel refunds what the order received and closes its open attempts at the
        provider (the payments side); a paid order (or one of its child orders) is cancelled part by part,
        before it ships (the fulfilment side's `cancel_paid`)."""
        from oms.domain.money import Money
        from oms.services.orders import OrderService
        from oms.store.orders import OrderRepository

        def paid_cancel(actor: Actor, order_id: str, record: OrderRecord | None, note: str | None) -> dict[str, Any]:
            return self.fulfilment.cancel_paid(actor, order_id, record, note)

        settings = self.settings
        return OrderService(
            OrderRepository(),
            settings.payment_timeout_seconds,
            cross_border_limit=Money(settings.cross_border_limit_minor, settings.cross_border_limit_currency),
            paid_cancel=paid_cancel,
            cancel_money=self.payments,
            risk=self.risk,
        )

    @cached_property
    def manual_orders(self) -> ManualOrderService:
        """Manual orders placed by staff through the checkout's path; offline payments recorded by finance."""
        from oms.adapters.evidence import S3EvidenceUploads
        from oms.domain.manual_orders import DEFAULT_LIMITS
        from oms.services.manual_orders import ManualOrderService
        from oms.store.orders import OrderRepository

        settings = self.settings
        uploads = S3EvidenceUploads(settings.evidence_bucket)

        def directory() -> UserDirectory | None:
            """The configured directory, else the pool USER_POOL_ID names; None where there is neither."""
            if _adapters.users is None and not os.environ.get("USER_POOL_ID"):
                return None
            return users()

        return ManualOrderService(
            self.orders,
            OrderRepository(),
            self.providers,
            directory,
            lambda: uploads,
            limits=DEFAULT_LIMITS,
            review_seconds=settings.bank_transfer_review_seconds,
            shop_url=settings.shop_url,
        )

    @cached_property
    def order_editing(self) -> OrderEditingService:
        from oms.domain.manual_orders import DEFAULT_LIMITS
        from oms.services.order_editing import OrderEditingService
        from oms.store.orders import OrderRepository

        return OrderEditingService(self.orders, OrderRepository(), limits=DEFAULT_LIMITS)

    @cached_property
    def payments(self) -> PaymentService:
        from oms.services.payments import PaymentService
        from oms.store.orders import OrderRepository
        from oms.store.payments import PaymentReads

        return PaymentService(
            OrderRepository(),
            PaymentReads(),
            self.providers,
            bank_transfer_review_seconds=self.settings.bank_transfer_review_seconds,
            payment_timeout_seconds=self.settings.payment_timeout_seconds,
            exchanges=lambda: self.after_sales,
            risk=self.risk,
        )

    @cached_property
    def risk(self) -> RiskService:
        """Risk control: screening of checkouts and payments, blacklists, settings, the review queue (a
        rejected order is refunded and cancelled by the payments side)."""
        from oms.services.risk import RiskService
        from oms.store.orders import OrderRepository

        return RiskService(OrderRepository(), money=lambda: self.payments)

    @cached_property
    def refunds(self) -> RefundService:
        """Refund requests (finance, cancels, cases); provider legs settled by the payments side."""
        return self.payments.refund_requests

    @cached_property
    def fulfilment(self) -> FulfilmentService:
        from oms.domain.permissions import Actor
        from oms.services.fulfilment import FulfilmentService
        from oms.store.orders import OrderRepository

        def settle_refund(order_id: str, refund: RefundRecord, reference: str | None, payment_total: Money) -> None:
            """The child cancel's own try after its commit (never raises; the stream and the sweeper retry)."""
            self.payments.try_refund(order_id, refund, reference, payment_total=payment_total)

        def complete(record: OrderRecord) -> OrderRecord:
            """Auto-confirm: the orders side completes the delivered order."""
            return self.orders.complete(record, Actor.system("auto-confirm"), "auto-confirmed after delivery")

        return FulfilmentService(
            OrderRepository(),
            auto_confirm_seconds=self.settings.auto_confirm_seconds,
            warehouse=warehouse,
            carriers=carrier_webhooks,
            settle_refund=settle_refund,
            complete=complete,
            refunds=lambda: self.refunds,
            return_tracking=lambda case_id, notice: self.after_sales.return_tracking(case_id, notice),
            replacement_shipped=lambda case_id: self.after_sales.replacement_shipped(case_id),
        )

    @cached_property
    def channels(self) -> ChannelService:
        """Channel stores, their sync with the channel, channel orders (callbacks, imports), daily checks."""
        from oms.services.channels import ChannelService

        return ChannelService(self.orders, channel_gateway)

    @cached_property
    def virtual_goods(self) -> VirtualGoodsService:
        """Code pools, deliveries of virtual goods, redemption, verification, activation, revocation."""
        from oms.services.virtual_goods import ChildDelivery, VirtualGoodsService
        from oms.store.channels import get_store
        from oms.store.orders import OrderRepository

        def channel_domain(store_id: str) -> str | None:
            item = get_store(store_id)
            return None if item is None else item.redemptionDomain

        return VirtualGoodsService(
            OrderRepository(), ChildDelivery(self.fulfilment.add_virtual_delivered), channel_domain
        )

    @cached_property
    def desk(self) -> OrderDeskService:
        """Notes, recorded communications, the special flag and staff holds (oms.services.order_desk)."""
        from oms.services.order_desk import OrderDeskService
        from oms.store.orders import OrderRepository

        return OrderDeskService(OrderRepository())

    @cached_property
    def batches(self) -> BatchService:
        """Batch actions on orders, each order through the single route's service; a risk review is decided
        by the risk side (`RiskService.decide`, as its own route does)."""
        from oms.services.batches import BatchService

        return BatchService(
            self.desk,
            self.orders,
            self.payments,
            self.fulfilment,
            risk=self.risk,
            virtual=self.virtual_goods,
            cases=self.after_sales,
        )

    @cached_property
    def timers(self) -> OrderTimers:
        """The timer tasks (payment timeout, auto-confirm), the refunds' next tries, cases past their deadline
        whose flow did not act, and their sweeper."""
        from oms.services.timers import OrderTimers

        return OrderTimers(
            self.orders,
            self.fulfilment,
            self.payments,
            self.after_sales,
            activations=lambda: self.virtual_goods.activate_due(),
        )

    @cached_property
    def stock_movements(self) -> StockMovements:
        """Stock items' changes in the table's stream → movement rows and LowStock / SkuSoldOut /
        SkuBackInStock (AfterCommitFunction, its `Stock` filter)."""
        from oms.services.stock_movements import StockMovements

        return StockMovements()

    @cached_property
    def stock_history(self) -> StockHistory:
        """A SKU's stock movements for staff (GET /skus/{skuId}/stock-movements)."""
        from oms.services.stock_movements import StockHistory

        return StockHistory()

    @cached_property
    def after_commit(self) -> AfterCommit:
        """What runs once an outbox row is committed, by detail type (read from the table's stream by
        AfterCommitFunction; add the detail type to its FilterCriteria in template.yaml too)."""
        from oms.adapters.workflows import StepFunctionsAutoConfirm, StepFunctionsExportJob, StepFunctionsPaymentTimeout
        from oms.domain.events import EventType
        from oms.services.after_commit import (
            AfterCommit,
            arm_auto_confirm,
            arm_payment_timeout,
            count_product_sales,
            finish_cancel,
            hold_for_cases,
            rearm_payment_timeout,
            refile_category_products,
            reindex_product,
            resume_case_flow,
            revoke_refunded_goods,
            settle_case,
            settle_channel_order,
            settle_refunds,
            start_case_flow,
            start_export_job,
        )

        payment_timeout = StepFunctionsPaymentTimeout(
            self.settings.payment_timeout_state_machine_arn, remind_seconds=self.settings.payment_reminder_seconds
        )
        auto_confirm = StepFunctionsAutoConfirm(self.settings.auto_confirm_state_machine_arn)
        payments = self.payments
        return AfterCommit(
            {
                EventType.ORDER_PLACED: [arm_payment_timeout(payment_timeout)],
                EventType.ORDER_HOLD_RELEASED: [rearm_payment_timeout(payment_timeout)],
                EventType.ORDER_DELIVERED: [arm_auto_confirm(auto_confirm)],
                # The request that committed these already tried; this is the try that needs no request (a
                # store fault fails its record; a refund the provider cannot take yet is the sweeper's, with
                # backoff).
                EventType.ORDER_CANCELLED: [finish_cancel(payments), settle_channel_order(self.channels)],
                EventType.ORDER_COMPLETED: [settle_channel_order(self.channels)],
                EventType.ORDER_CLOSED: [
                    revoke_refunded_goods(self.virtual_goods),
                    settle_channel_order(self.channels),
                ],
                EventType.CHILD_ORDER_CANCELLED: [settle_refunds(payments)],
                EventType.PAYMENT_ANOMALY: [settle_refunds(payments)],
                EventType.CASE_OPENED: [start_case_flow(self.after_sales), hold_for_cases(self.virtual_goods)],
                EventType.CASE_UPDATED: [resume_case_flow(self.after_sales), hold_for_cases(self.virtual_goods)],
                EventType.REFUND_SUCCEEDED: [settle_case(self.after_sales), revoke_refunded_goods(self.virtual_goods)],
                EventType.EXPORT_REQUESTED: [
                    start_export_job(StepFunctionsExportJob(self.settings.export_job_state_machine_arn))
                ],
                EventType.CATEGORY_MOVED: [refile_category_products(self.categories)],
                EventType.CATEGORY_DELETED: [refile_category_products(self.categories)],
                EventType.PRODUCT_CHANGED: [reindex_product(self.product_search)],
                EventType.ORDER_PAID: [count_product_sales(self.product_search)],
            }
        )

    @cached_property
    def after_sales(self) -> AfterSalesService:
        """After-sales cases and their flow; refunds through the refunds side, a refund-only case before
        shipment stops the parcel through fulfilment."""
        from oms.adapters.evidence import S3EvidenceUploads
        from oms.adapters.workflows import StepFunctionsCaseFlow
        from oms.services.after_sales import AfterSalesService
        from oms.store.orders import OrderRepository

        settings = self.settings
        deadlines = self.case_deadlines
        default_flow = StepFunctionsCaseFlow(settings.case_flow_state_machine_arn)
        uploads = S3EvidenceUploads(settings.evidence_bucket)

        def flow() -> CaseFlow:
            return _adapters.case_flow or default_flow

        return AfterSalesService(
            OrderRepository(),
            refunds=CaseRefundsAdapter(self),
            flow=flow,
            evidence=lambda: uploads,
            deadlines=deadlines,
            intercept=lambda child_id, reason: self.fulfilment.stop_for_case(child_id, reason),
        )

    @cached_property
    def case_deadlines(self) -> Deadlines:
        from oms.services.after_sales import Deadlines

        settings = self.settings
        return Deadlines(
            review=settings.case_review_seconds,
            dispute=settings.case_dispute_seconds,
            return_ship=settings.return_ship_seconds,
            inspect=settings.inspect_seconds,
            difference_pay=settings.exchange_pay_seconds,
        )

    @cached_property
    def notifications(self) -> NotificationService:
        """The notifications consumer, the inbox, preferences, stores' rules and the payment reminder."""
        from oms.services.notifications import NotificationService

        return NotificationService(notifier)

    @cached_property
    def audit(self) -> AuditService:
        """The audit trail (GET /audit)."""
        from oms.services.audit import AuditService

        return AuditService()

    @cached_property
    def timeline(self) -> TimelineService:
        """An order's timeline: its partition, its audit entries and its abnormal payments, merged."""
        from oms.services.timeline import TimelineService
        from oms.store.orders import OrderRepository

        return TimelineService(OrderRepository().get_order)

    @cached_property
    def personal_data(self) -> PersonalDataService:
        """Reveal of an order's contact details, a customer's erasure, the data-retention setting and job."""
        from oms.services.personal_data import PersonalDataService
        from oms.store.orders import OrderRepository

        return PersonalDataService(OrderRepository().get_order)

    @cached_property
    def pricing_admin(self) -> PricingAdminService:
        """Promotions, coupon templates and issuance, points programmes, FX rates, points accounts."""
        from oms.services.pricing_admin import PricingAdminService
        from oms.store.pricing_admin import PricingAdminRepository

        return PricingAdminService(PricingAdminRepository())

    @cached_property
    def carriers(self) -> CarrierSettingsService:
        """The carriers parcels are packed for and their per-parcel weight limits."""
        from oms.services.carriers import CarrierSettingsService
        from oms.store.pricing_admin import PricingAdminRepository

        return CarrierSettingsService(PricingAdminRepository())

    @cached_property
    def exports(self) -> ExportService:
        """Order exports and their job's chunks (files in the exports bucket)."""
        from oms.adapters.export_files import ExportsBucket
        from oms.services.exports import ExportService
        from oms.store.exports import ExportRepository

        bucket = ExportsBucket(self.settings.exports_bucket)
        return ExportService(ExportRepository(), lambda: bucket)

    @cached_property
    def statistics(self) -> StatisticsService:
        """The statistics consumer (counters from bus events) and the `GET /stats/...` reads."""
        from oms.services.statistics import StatisticsService

        return StatisticsService()

    @cached_property
    def catalog(self) -> CatalogService:
        """Stores, products, SKUs and stock adjustments."""
        from oms.services.catalog import CatalogService
        from oms.store.catalog import CatalogRepository
        from oms.store.images import ImageRepository

        return CatalogService(
            CatalogRepository(),
            filing=lambda store, cid: self.categories.filing(store, cid),
            image_base=self.settings.images_base_url,
            sku_images=ImageRepository().sku_images,
        )

    @cached_property
    def categories(self) -> CategoryService:
        """A store's category tree, products by category, and their re-filing after a move or a delete."""
        from oms.services.categories import CategoryService
        from oms.store.catalog import product_record
        from oms.store.categories import CategoryRepository
        from oms.views.catalog import product_view

        return CategoryService(CategoryRepository(), product_view=lambda item: product_view(product_record(item)))

    @cached_property
    def stock_ops(self) -> StockOperations:
        """Batch stock adjustments and stocktakes, each line through the catalog's stock path."""
        from oms.services.stock_ops import StockOperations

        return StockOperations(self.catalog)

    @cached_property
    def freight(self) -> FreightService:
        """Stores' freight templates (shipping by destination, weight or piece)."""
        from oms.services.freight import FreightService
        from oms.store.freight import FreightRepository

        return FreightService(FreightRepository())

    @cached_property
    def product_search(self) -> ProductSearchService:
        """Shopper product search: queries answered by OpenSearch when PRODUCT_SEARCH_ENDPOINT is set (the
        template's EnableProductSearchOpenSearch), else by the table's search rows; this service (run after
        commit) keeps the table's rows current either way (the indexer function keeps OpenSearch's)."""
        from oms.services.product_search import ProductSearchService
        from oms.store.product_search import DynamoProductSearch, DynamoProductSource

        table = DynamoProductSearch()
        engine = self.product_search_indexer.engine if os.environ.get("PRODUCT_SEARCH_ENDPOINT") else table
        return ProductSearchService(
            engine, DynamoProductSource(), indexes=[table], image_base=self.settings.images_base_url
        )

    @cached_property
    def product_search_indexer(self) -> ProductSearchService:
        """The OpenSearch side (ProductSearchIndexerFunction): documents into the domain's index."""
        from oms.adapters.opensearch import OpenSearchProductSearch, SigV4Transport
        from oms.services.product_search import ProductSearchService
        from oms.store.product_search import DynamoProductSource

        endpoint = os.environ.get("PRODUCT_SEARCH_ENDPOINT", "")
        transport = SigV4Transport(endpoint, service=os.environ.get("PRODUCT_SEARCH_SERVICE", "es"))
        return ProductSearchService(OpenSearchProductSearch(transport), DynamoProductSource())

    @cached_property
    def images(self) -> ImageService:
        """Product and SKU images: upload forms, deletes, their order (docs/images.md)."""
        from oms.adapters.images import S3Images
        from oms.services.images import ImageService
        from oms.store.images import ImageRepository

        bucket = S3Images(self.settings.images_bucket)

        def sku_product(sku_id: str) -> str | None:
            sku = self.catalog.repository.sku_for_write(sku_id)
            return sku.product_id if sku else None

        return ImageService(ImageRepository(), lambda: bucket, self.settings.images_base_url, sku_product)

    @cached_property
    def thumbnails(self) -> ThumbnailService:
        """The thumbnail function's check of each upload."""
        from oms.adapters.images import S3Images
        from oms.services.images import ThumbnailService
        from oms.store.images import ImageRepository

        bucket = S3Images(self.settings.images_bucket)
        return ThumbnailService(ImageRepository(), lambda: bucket)

    @cached_property
    def accounts(self) -> AccountService:
        """A signed-in person's profile and address book (`/me`, `/me/addresses`)."""
        from oms.services.accounts import AccountService

        return AccountService()

    @cached_property
    def roles(self) -> RoleService:
        """Roles administration: grants and revokes per role, custom staff roles (`/settings/roles`)."""
        from oms.services.roles import RoleService

        return RoleService()

    @cached_property
    def reports(self) -> ReportService:
        """Published reports: their files in ReportsBucket, their index rows, presigned links."""
        from oms.adapters.report_files import S3ReportFiles
        from oms.services.reports import ReportService

        files = S3ReportFiles(self.settings.reports_bucket)
        return ReportService(lambda: files)


class CaseRefundsAdapter:
    """The refunds side (RefundService) as after-sales cases use it."""

    def __init__(self, services: Services) -> None:
        self._services = services

    @staticmethod
    def _ask(record: OrderRecord, ask: CaseRefundAsk) -> RefundAsk:
        from oms.domain.refunds import RefundReason
        from oms.services.refunds import RefundAsk

        return RefundAsk(
            order_id=ask.order_id,
            refund_id=ask.refund_id,
            reason=RefundReason.CASE.value,
            note=ask.note,
            child_id=ask.child_id,
            units=ask.units,
            amount=ask.amount,
            to_balance=ask.to_balance,
            case_id=ask.case_id,
        )

    def paid_share(self, record: OrderRecord, ask: CaseRefundAsk) -> Money:
        from oms.domain.money import Money

        split = self._services.refunds.plan(record, self._ask(record, ask))
        return Money(split.amount, record.header.currency)

    def add(self, tx: Transaction, record: OrderRecord, ask: CaseRefundAsk, actor: Actor, now: str) -> None:
        self._services.refunds.add(tx, record, self._ask(record, ask), actor, now)

    def settle(self, order_id: str) -> None:
        self._services.payments.try_pending_refunds(order_id)

    def status(self, record: OrderRecord, refund_id: str) -> str:
        return self._services.refunds.status(record.header.orderId, refund_id)


def outbox_relay(events: Callable[[], Any], sqs: Callable[[], Any]) -> OutboxRelay:
    """The outbox relay, configured by the function's environment (`EVENT_BUS_NAME`, `OUTBOX_DLQ_URL`,
    `OUTBOX_RELAY_MAX_ATTEMPTS`, `OUTBOX_RELAY_GIVE_UP_SECONDS`); `events` and `sqs` give the clients at
    call time."""
    import os

    from oms.adapters.outbox import DeadLetterQueue, EventBridgePublisher, OutboxRelay
    from oms.store.outbox import count_relay_failure

    queue_url = os.environ.get("OUTBOX_DLQ_URL", "")
    return OutboxRelay(
        bus_name=os.environ["EVENT_BUS_NAME"],
        publisher=EventBridgePublisher(events),
        dead_letters=DeadLetterQueue(sqs, queue_url) if queue_url else None,
        count_failure=count_relay_failure,
        max_attempts=int(os.environ.get("OUTBOX_RELAY_MAX_ATTEMPTS", "5")),
        give_up_after_seconds=float(os.environ.get("OUTBOX_RELAY_GIVE_UP_SECONDS", "3600")),
    )
