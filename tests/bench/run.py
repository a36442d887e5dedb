"""Benchmarks (not part of the default test run). One command:

    python -m tests.bench.run [--checkouts 200] [--imports 5]

Prints three tables:
1. AWS calls per operation, counted with botocore event hooks (`before-call`) on the request thread.
2. Import time of each function module: median of N fresh interpreters (cold-start proxy), with
   peak RSS, next to a baseline "typical powertools handler".
3. Checkout latency percentiles through the local stack over HTTP (sequential and 4 concurrent clients).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import botocore.session
import requests

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = {"name": "Bench", "phone": "13800000000", "line1": "1 Bench Rd", "city": "Shanghai", "country": "CN"}

# ---------------------------------------------------------------- AWS call counting
_counting = threading.local()
_calls: Counter[str] = Counter()
_lock = threading.Lock()


def _before_call(model: Any, **_: Any) -> None:
    if getattr(_counting, "active", False):
        with _lock:
            _calls[f"{model.service_model.service_name}:{model.name}"] += 1


def install_call_counter() -> None:
    """Register the hook on every botocore client created from now on (pynamodb and boto3 alike)."""
    original = botocore.session.Session.create_client

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call.*.*", _before_call)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]


@contextmanager
def counting_handlers(api_functions: set[str]) -> Iterator[None]:
    """Count only calls made inside request handlers: the functions that serve HTTP routes (not the
    local runtime's own clients, nor the stream consumers, timer tasks and sweeper, which run after
    the request has answered and overlapped the measurements at random)."""
    from oms_local.core.functions import InProcessFunction

    original = InProcessFunction.invoke

    def invoke(self: InProcessFunction, event: Any) -> Any:
        if self.spec.logical_id not in api_functions:
            return original(self, event)
        _counting.active = True
        try:
            return original(self, event)
        finally:
            _counting.active = False

    InProcessFunction.invoke = invoke  # type: ignore[method-assign]
    try:
        yield
    finally:
        InProcessFunction.invoke = original  # type: ignore[method-assign]


def measure_calls(operation: Callable[[], Any], repeat: int = 5) -> tuple[float, dict[str, float]]:
    with _lock:
        _calls.clear()
    for _ in range(repeat):
        operation()
    with _lock:
        per_op = {name: count / repeat for name, count in sorted(_calls.items())}
    return sum(per_op.values()), per_op


# ---------------------------------------------------------------- import time
# Peak RSS is read from /proc (VmHWM starts afresh at exec; ru_maxrss would inherit the parent's peak).
IMPORT_SNIPPET = """
import importlib.util, sys, time
t0 = time.perf_counter()
spec = importlib.util.spec_from_file_location("fn", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
elapsed = time.perf_counter() - t0
hwm_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(elapsed, hwm_kb)
"""

# What a typical powertools HTTP handler module does at import (tracer, metrics, validating resolver,
# idempotency layer, an ORM model): the yardstick DESIGN.md's cold-start budget is measured against.
BASELINE_HANDLER = """
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent
from pydantic import BaseModel
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

logger, tracer, metrics = Logger(), Tracer(), Metrics(namespace="bench")
app = APIGatewayHttpResolver(enable_validation=True)
persistence = DynamoDBPersistenceLayer(table_name="bench")

class Thing(Model):
    class Meta:
        table_name = "bench"
    pk = UnicodeAttribute(hash_key=True)

class Body(BaseModel):
    name: str

@app.post("/things")
def create(body: Body) -> dict:
    return {}
"""


def import_times(runs: int) -> list[tuple[str, float, float]]:
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": "bench",
        "POWERTOOLS_SERVICE_NAME": "oms",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "PAYMENT_TIMEOUT_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:1:stateMachine:x",
    }
    targets = {f"functions/{p.parent.name}": p for p in sorted((ROOT / "functions").glob("*/app.py"))}
    baseline = ROOT / ".bench-baseline-handler.py"
    baseline.write_text(BASELINE_HANDLER)
    targets["baseline: typical powertools handler"] = baseline
    rows = []
    try:
        for name, path in targets.items():
            samples, rss = [], []
            for _ in range(runs):
                out = subprocess.run(
                    [sys.executable, "-c", IMPORT_SNIPPET, str(path)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
                samples.append(float(out[0]) * 1000)
                rss.append(int(out[1]) / 1024)
            rows.append((name, statistics.median(samples), statistics.median(rss)))
    finally:
        baseline.unlink()
    return rows


# ---------------------------------------------------------------- latency
def percentiles(samples: list[float]) -> tuple[float, float, float, float]:
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return q[49], q[94], q[98], ordered[-1]


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join([f"\n{title}\n", line, sep, *body])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkouts", type=int, default=200, help="checkouts per latency run")
    parser.add_argument("--imports", type=int, default=5, help="fresh interpreters per import measurement")
    args = parser.parse_args()

    install_call_counter()
    from oms_local.stack import LocalStack

    stack = LocalStack(
        template_path=str(ROOT / "template.yaml"),
        port=0,
        # No timer fires during the run; the sweeper runs as often as on AWS.
        # WARNING: the stream consumers' INFO lines would interleave with the tables on stdout.
        parameter_overrides={
            "PaymentTimeoutSeconds": "3600",
            "TimerSweepSchedule": "rate(1 minute)",
            "LogLevel": "WARNING",
        },
    )
    stack.start()
    try:
        base = stack.base_url
        session = requests.Session()
        admin = stack.mint_token("bench-admin", ["admin"])
        customer = stack.mint_token("bench-customer", ["customer"])
        sku_id = f"BENCH-{uuid.uuid4().hex[:8]}"
        session.post(
            f"{base}/products",
            headers={"Authorization": f"Bearer {admin}"},
            json={
                "storeId": "demo",
                "name": "Bench",
                "skus": [
                    {
                        "skuId": sku_id,
                        "name": "B",
                        "stock": 1_000_000,
                        "price": {"amount": 1234, "currency": "CNY"},
                        "warehouseId": "WH",
                        "weightGrams": 1,
                    }
                ],
            },
        ).raise_for_status()
        auth = {"Authorization": f"Bearer {customer}"}
        cart = {"lines": [{"skuId": sku_id, "quantity": 1}], "shippingAddress": ADDRESS}

        def checkout(headers: dict[str, str] | None = None, key: str | None = None) -> requests.Response:
            response = session.post(
                f"{base}/orders",
                json=cart,
                headers={**auth, "Idempotency-Key": key or str(uuid.uuid4()), **(headers or {})},
            )
            response.raise_for_status()
            return response

        def paid_order() -> str:
            """A checkout with an alipay attempt whose cashier page the buyer has opened."""
            order_id = checkout().json()["orderId"]
            response = session.post(
                f"{base}/orders/{order_id}/payments",
                json={"method": "alipay"},
                headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
            )
            response.raise_for_status()
            payment = response.json()
            stack.sandbox.send("GET", payment["instructions"]["url"], {}, b"")
            return str(payment["paymentId"])

        def deliver(payment_id: str, event_id: str | None = None) -> str:
            callback = stack.sandbox.pay("alipay", payment_id, event_id=event_id)
            response = session.post(
                f"{base}/callbacks/payments/alipay",
                data=callback.body,
                headers={**callback.headers, "Content-Type": callback.content_type},
            )
            assert response.text == "success", response.text
            return callback.event_id

        def describe(detail: dict[str, float]) -> str:
            return ", ".join(f"{k} ×{v:g}" for k, v in detail.items())

        order_ids: list[str] = []
        with counting_handlers({route.function_id for route in stack.template.routes}):
            rows = []
            total, detail = measure_calls(lambda: order_ids.append(checkout().json()["orderId"]))
            rows.append(["POST /orders (checkout)", f"{total:g}", ", ".join(f"{k} ×{v:g}" for k, v in detail.items())])
            checkout(key="bench-replay")
            total, detail = measure_calls(lambda: checkout(key="bench-replay"))
            rows.append(
                ["POST /orders (idempotent replay)", f"{total:g}", ", ".join(f"{k} ×{v:g}" for k, v in detail.items())]
            )
            total, detail = measure_calls(
                lambda: session.post(
                    f"{base}/orders/quote", json={"lines": cart["lines"]}, headers=auth
                ).raise_for_status()
            )
            rows.append(["POST /orders/quote", f"{total:g}", ", ".join(f"{k} ×{v:g}" for k, v in detail.items())])
            total, detail = measure_calls(
                lambda: session.get(f"{base}/orders/{order_ids[0]}", headers=auth).raise_for_status()
            )
            rows.append(["GET /orders/{id}", f"{total:g}", ", ".join(f"{k} ×{v:g}" for k, v in detail.items())])
            pending = iter(order_ids[1:])
            total, detail = measure_calls(
                lambda: session.post(f"{base}/orders/{next(pending)}/cancel", json={}, headers=auth).raise_for_status(),
                repeat=4,
            )
            rows.append(["POST /orders/{id}/cancel", f"{total:g}", ", ".join(f"{k} ×{v:g}" for k, v in detail.items())])
            # Payment callbacks: a signed alipay notice, delivered over HTTP to the callbacks function.
            to_pay = [paid_order() for _ in range(5)]
            total, detail = measure_calls(lambda: deliver(to_pay.pop()))
            rows.append(["POST /callbacks/payments/alipay (pays)", f"{total:g}", describe(detail)])
            replayed = paid_order()
            first = deliver(replayed)
            total, detail = measure_calls(lambda: deliver(replayed, first))
            rows.append(["POST /callbacks/payments/alipay (replay)", f"{total:g}", describe(detail)])
        print(
            table(
                "AWS calls per operation (botocore before-call hooks, handler threads only)",
                ["operation", "calls", "detail"],
                rows,
            )
        )

        latency_rows = []
        for clients in (1, 4):
            samples: list[float] = []

            def timed(_: int, samples: list[float] = samples) -> None:
                t0 = time.perf_counter()
                checkout()
                samples.append((time.perf_counter() - t0) * 1000)

            for _ in range(10):
                checkout()  # warm-up
            t_start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=clients) as pool:
                list(pool.map(timed, range(args.checkouts)))
            wall = time.perf_counter() - t_start
            p50, p95, p99, worst = percentiles(samples)
            latency_rows.append(
                [
                    f"checkout, {clients} client(s)",
                    str(args.checkouts),
                    f"{p50:.1f}",
                    f"{p95:.1f}",
                    f"{p99:.1f}",
                    f"{worst:.1f}",
                    f"{args.checkouts / wall:.0f}",
                ]
            )
        pending = [paid_order() for _ in range(max(args.checkouts // 4, 20))]
        callback_samples: list[float] = []
        for payment_id in pending:
            callback = stack.sandbox.pay("alipay", payment_id)
            t0 = time.perf_counter()
            response = session.post(
                f"{base}/callbacks/payments/alipay",
                data=callback.body,
                headers={**callback.headers, "Content-Type": callback.content_type},
            )
            callback_samples.append((time.perf_counter() - t0) * 1000)
            assert response.text == "success", response.text
        p50, p95, p99, worst = percentiles(callback_samples)
        n = len(callback_samples)
        latency_rows.append(
            [
                "alipay callback (verify + pay), 1 client",
                str(n),
                f"{p50:.1f}",
                f"{p95:.1f}",
                f"{p99:.1f}",
                f"{worst:.1f}",
                f"{n / (sum(callback_samples) / 1000):.0f}",
            ]
        )
        print(
            table(
                "Latency through the local stack (HTTP → handler → moto server), ms",
                ["run", "n", "p50", "p95", "p99", "max", "per s"],
                latency_rows,
            )
        )
    finally:
        stack.stop()

    rows = [[name, f"{ms:.0f}", f"{rss:.0f}"] for name, ms, rss in import_times(args.imports)]
    print(
        table(
            f"Import time of each function module (median of {args.imports} fresh processes)",
            ["module", "import ms", "peak RSS MiB"],
            rows,
        )
    )
    print(json.dumps({"python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
