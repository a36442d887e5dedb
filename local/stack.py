"""``LocalStack``: OMS's template.yaml on one machine — the generic `core.Stack` with the OMS extension
(sandboxes, demo users, seed) and the API explorer; what the CLI runs and the tests start.

    from oms_local.stack import LocalStack

    with LocalStack(port=0) as stack:
        print(stack.base_url, stack.demo_tokens["admin"])
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from .core.explorer import ApiExplorer
from .core.stack import Stack
from .oms.extension import OmsExtension
from .oms.logistics_sandbox import CarrierSandbox
from .oms.payment_sandbox import Sandbox
from .oms.seed import SeedResult
from .oms.warehouse_sandbox import SandboxWarehouse

LOCAL_PARAMETER_DEFAULTS: dict[str, str] = {
    "Stage": "local",
    "PaymentTimeoutSeconds": "120",
    "PaymentReminderSeconds": "60",  # the payment reminder a minute before the (two-minute) deadline
    "TimerSweepSchedule": "rate(5 seconds)",
    # After-sales waits: ten minutes each, long enough to walk a case by hand, short enough to watch a
    # deadline decide (`--parameter-overrides CaseReviewSeconds=5`).
    "CaseReviewSeconds": "600",
    "CaseDisputeSeconds": "600",
    "ReturnShipSeconds": "600",
    "InspectSeconds": "600",
    "ExchangePaySeconds": "600",
    # Image URLs point at the stack itself, which serves the images bucket's images/ (docs/images.md).
    "ImagesBaseUrl": "{local_url}/_local/images",
}
"""Used for the parameters a template declares, unless overridden: short timers locally."""

OPENAPI_DOCUMENT = Path("docs") / "openapi.json"  # next to the template
EXPLORER_PATH = "/_local/docs"


class LocalStack(Stack):
    def __init__(
        self,
        template_path: str | Path = "template.yaml",
        port: int = 3000,
        host: str = "127.0.0.1",
        parameter_overrides: Mapping[str, str] | None = None,
        stack_name: str = "oms-local",
        seed: bool = True,
    ) -> None:
        self.oms = OmsExtension(seed=seed)
        self.explorer = ApiExplorer(Path(template_path).parent / OPENAPI_DOCUMENT, title="OMS API (oms-local)")
        super().__init__(
            template_path,
            port,
            host,
            parameter_overrides,
            stack_name,
            extensions=[self.oms, self.explorer],
            local_defaults=LOCAL_PARAMETER_DEFAULTS,
        )

    @property
    def seed_enabled(self) -> bool:
        return self.oms.seed_enabled

    @property
    def seed_result(self) -> SeedResult | None:
        return self.oms.seed_result

    @property
    def demo_tokens(self) -> dict[str, str]:
        """Tokens of the demo users, by role (first user of the role), user key and subject."""
        return self.oms.demo_tokens

    @property
    def sandbox(self) -> Sandbox:
        """The payment providers' sandbox (only when the template has payment callbacks)."""
        return self.oms.sandbox

    @property
    def carrier_sandbox(self) -> CarrierSandbox:
        return self.oms.carrier_sandbox

    @property
    def warehouse(self) -> SandboxWarehouse:
        return self.oms.warehouse

    def sandbox_pay(
        self,
        payment_id: str,
        *,
        amount: int | None = None,
        currency: str | None = None,
        status: str = "SUCCEEDED",
        event_id: str | None = None,
        times: int = 1,
        concurrent: bool = False,
        signed_at: datetime | None = None,
    ) -> dict[str, Any]:
        """See `OmsExtension.sandbox_pay`."""
        return self.oms.sandbox_pay(
            payment_id,
            amount=amount,
            currency=currency,
            status=status,
            event_id=event_id,
            times=times,
            concurrent=concurrent,
            signed_at=signed_at,
        )

    def sandbox_carrier_event(self, carrier: str, **notice: Any) -> dict[str, Any]:
        """See `OmsExtension.sandbox_carrier_event`."""
        return self.oms.sandbox_carrier_event(carrier, **notice)

    def sandbox_hand_over(self, child_order_id: str) -> dict[str, Any]:
        return self.oms.sandbox_hand_over(child_order_id)

    def sandbox_warehouse_state(self, child_order_id: str) -> dict[str, Any]:
        return self.oms.sandbox_warehouse_state(child_order_id)
