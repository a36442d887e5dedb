"""Settings read from the function's environment (set by template.yaml Globals)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    table_name: str
    payment_timeout_seconds: int
    payment_timeout_state_machine_arn: str
    event_bus_name: str
    stage: str
    bank_transfer_review_seconds: int
    auto_confirm_seconds: int = 7 * 86400
    auto_confirm_state_machine_arn: str = ""
    cross_border_limit_minor: int = 500_000  # 5000.00 CNY: the per-order customs limit for cross-border goods
    cross_border_limit_currency: str = "CNY"
    case_flow_state_machine_arn: str = ""
    evidence_bucket: str = ""
    reports_bucket: str = ""
    # After-sales waits (template parameters CaseReviewSeconds, DisputeSeconds, ReturnShipSeconds,
    # InspectSeconds): how long staff, the shopper and the warehouse may take before the rules decide.
    case_review_seconds: int = 36 * 3600
    case_dispute_seconds: int = 5 * 86400
    return_ship_seconds: int = 7 * 86400
    inspect_seconds: int = 10 * 86400
    exchange_pay_seconds: int = 2 * 86400  # ExchangePaySeconds: a dearer replacement's difference is paid in time
    exports_bucket: str = ""
    export_job_state_machine_arn: str = ""
    payment_reminder_seconds: int = 0  # PaymentReminderSeconds: the shopper is reminded this long before the deadline
    shop_url: str = ""  # ShopUrl: where a manual order's payment link points (<shop>/orders/<id>/pay)
    images_bucket: str = ""  # ImagesBucket: product image uploads and their renditions
    images_base_url: str = ""  # where image URLs point: the CloudFront distribution, or the local stack

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            table_name=os.environ.get("TABLE_NAME", "oms"),
            payment_timeout_seconds=int(os.environ.get("PAYMENT_TIMEOUT_SECONDS", "1800")),
            payment_timeout_state_machine_arn=os.environ.get("PAYMENT_TIMEOUT_STATE_MACHINE_ARN", ""),
            event_bus_name=os.environ.get("EVENT_BUS_NAME", "default"),
            stage=os.environ.get("STAGE", "dev"),
            bank_transfer_review_seconds=int(os.environ.get("BANK_TRANSFER_REVIEW_SECONDS", "259200")),
            # AutoConfirmDays on AWS; the local stack sets AUTO_CONFIRM_SECONDS so a "day" can be a second.
            auto_confirm_seconds=int(
                os.environ.get("AUTO_CONFIRM_SECONDS") or int(os.environ.get("AUTO_CONFIRM_DAYS", "7")) * 86400
            ),
            auto_confirm_state_machine_arn=os.environ.get("AUTO_CONFIRM_STATE_MACHINE_ARN", ""),
            cross_border_limit_minor=int(os.environ.get("CROSS_BORDER_LIMIT_MINOR", "500000")),
            cross_border_limit_currency=os.environ.get("CROSS_BORDER_LIMIT_CURRENCY", "CNY"),
            case_flow_state_machine_arn=os.environ.get("CASE_FLOW_STATE_MACHINE_ARN", ""),
            evidence_bucket=os.environ.get("EVIDENCE_BUCKET", ""),
            reports_bucket=os.environ.get("REPORTS_BUCKET", ""),
            case_review_seconds=int(os.environ.get("CASE_REVIEW_SECONDS", str(36 * 3600))),
            case_dispute_seconds=int(os.environ.get("CASE_DISPUTE_SECONDS", str(5 * 86400))),
            return_ship_seconds=int(os.environ.get("RETURN_SHIP_SECONDS", str(7 * 86400))),
            inspect_seconds=int(os.environ.get("INSPECT_SECONDS", str(10 * 86400))),
            exchange_pay_seconds=int(os.environ.get("EXCHANGE_PAY_SECONDS", str(2 * 86400))),
            exports_bucket=os.environ.get("EXPORTS_BUCKET", ""),
            export_job_state_machine_arn=os.environ.get("EXPORT_JOB_STATE_MACHINE_ARN", ""),
            payment_reminder_seconds=int(os.environ.get("PAYMENT_REMINDER_SECONDS", "0")),
            shop_url=os.environ.get("SHOP_URL", ""),
            images_bucket=os.environ.get("IMAGES_BUCKET", ""),
            images_base_url=os.environ.get("IMAGES_BASE_URL", ""),
        )
