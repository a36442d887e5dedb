"""Benchmarks (not part of the default test run). One command:

    python -m tests.bench.run [--checkouts 200] [--imports 5] [--only-imports] [--only-search]

Prints three tables:
1. AWS calls per operation, counted with botocore event hooks (`before-call`) on the request thread.
2. Checkout latency percentiles through the local stack over HTTP (sequential and 4 concurrent clients).
3. Cold import of each function module (cold-start proxy) in a Lambda-like layout, without bytecode (as
   `sam build` alone ships it) and with it (as `make build` ships it): median of N shuffled rounds of
   fresh interpreters, each as a ratio to a "typical powertools handler" measured in the same run, with
   peak RSS. API functions are held to <= 0.6x with bytecode (issue 10).
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


# The Lambda-like layout cold imports are measured in: the function's code in task/<fn> and the layer
# (oms plus its third-party packages, copied file by file from their installed distributions) in
# opt/python, both without __pycache__; a fresh interpreter without site-packages (-S), with
# PYTHONDONTWRITEBYTECODE (Lambda's code directories are read-only: nothing it compiles is kept).
# "bytecode" is the same tree after tools/compile_build.py, as `make build` ships it.
LAYER_DISTRIBUTIONS = ("aws-lambda-powertools", "pydantic", "pynamodb", "python-ulid", "cryptography", "boto3")
BASELINE_DISTRIBUTIONS = ("aws-xray-sdk",)  # the yardstick's Tracer
TARGET_RATIO = 0.6  # issue 10: every API function imports in at most 0.6x the typical handler


def distribution_closure(names: tuple[str, ...]) -> set[str]:
    """The distributions `names` need at run time (their requirements without extras), recursively."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement

    seen: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue  # an optional dependency that is not installed
        key = dist.metadata["Name"].lower()
        if key in seen:
            continue
        seen.add(key)
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return seen


def _copy_tree(source: Path, dest: Path) -> None:
    import shutil

    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True)


def lambda_layout(dest: Path, compiled: bool) -> dict[str, Path]:
    """Lay out every function and the layer under `dest` as Lambda sees them; returns name → app.py."""
    import shutil
    from importlib.metadata import distribution

    from tools.compile_build import compile_build, interpreter_runtime

    opt = dest / "opt" / "python"
    opt.mkdir(parents=True)
    for name in sorted(distribution_closure(LAYER_DISTRIBUTIONS + BASELINE_DISTRIBUTIONS)):
        dist = distribution(name)
        for file in dist.files or []:
            parts = Path(str(file)).parts
            if ".." in parts or "__pycache__" in parts or str(file).endswith(".pyc"):
                continue  # scripts outside site-packages; bytecode (made below, or not at all)
            target = opt / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(str(file.locate())), target)
    _copy_tree(ROOT / "layers" / "oms" / "oms", opt / "oms")
    targets: dict[str, Path] = {}
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        _copy_tree(app.parent, dest / "task" / app.parent.name)
        targets[f"functions/{app.parent.name}"] = dest / "task" / app.parent.name / "app.py"
    baseline = dest / "task" / "baseline" / "app.py"
    baseline.parent.mkdir(parents=True)
    baseline.write_text(BASELINE_HANDLER)
    targets[BASELINE] = baseline
    if compiled:
        compile_build(dest, interpreter_runtime())
    return targets


BASELINE = "baseline: typical powertools handler"


def api_functions() -> set[str]:
    """`functions/<fn>` of every function that serves an HTTP route in template.yaml."""
    from oms_local.core.template import load_template

    template = load_template(ROOT / "template.yaml", {}, "bench")
    return {f"functions/{template.functions[route.function_id].code_dir.name}" for route in template.routes}


def import_times(runs: int) -> list[tuple[str, dict[str, float], float]]:
    """Median cold import (ms) of each function module, without and with bytecode, from `runs` shuffled
    rounds of fresh interpreters; and the peak RSS (MiB) with bytecode."""
    import random
    import tempfile

    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": "bench",
        "EVENT_BUS_NAME": "bench",
        "POWERTOOLS_SERVICE_NAME": "oms",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "PAYMENT_TIMEOUT_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:1:stateMachine:x",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("PYTHONPATH", None)
    samples: dict[tuple[str, str], list[float]] = {}
    rss: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="oms-bench-") as scratch:
        layouts = {mode: lambda_layout(Path(scratch) / mode, mode == "bytecode") for mode in ("source", "bytecode")}
        jobs = [(mode, name) for mode, targets in layouts.items() for name in targets]
        for _ in range(runs):
            random.shuffle(jobs)
            for mode, name in jobs:
                app = layouts[mode][name]
                path = os.pathsep.join([str(app.parent), str(app.parents[2] / "opt" / "python")])
                out = subprocess.run(
                    [sys.executable, "-S", "-c", IMPORT_SNIPPET, str(app)],
                    env={**env, "PYTHONPATH": path},
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=app.parent,
                ).stdout.split()
                samples.setdefault((mode, name), []).append(float(out[0]) * 1000)
                if mode == "bytecode":
                    rss.setdefault(name, []).append(int(out[1]) / 1024)
    names = list(layouts["bytecode"])
    return [
        (
            name,
            {mode: statistics.median(samples[(mode, name)]) for mode in layouts},
            statistics.median(rss[name]),
        )
        for name in names
    ]


def import_table(runs: int) -> str:
    measured = import_times(runs)
    base = next(times for name, times, _ in measured if name == BASELINE)
    api = api_functions()
    rows = []
    for name, times, peak in measured:
        ratio_source, ratio_compiled = times["source"] / base["source"], times["bytecode"] / base["bytecode"]
        verdict = "" if name not in api else ("ok" if ratio_compiled <= TARGET_RATIO else f"> {TARGET_RATIO}")
        rows.append(
            [
                name + (" (API)" if name in api else ""),
                f"{times['source']:.0f}",
                f"{ratio_source:.2f}",
                f"{times['bytecode']:.0f}",
                f"{ratio_compiled:.2f}",
                verdict,
                f"{peak:.0f}",
            ]
        )
    return table(
        f"Cold import of each function in a Lambda-like layout (median of {runs} shuffled rounds of fresh "
        f"processes; ratio = the same run's typical powertools handler; target for API functions: "
        f"<= {TARGET_RATIO}x with bytecode)",
        ["module", "no .pyc ms", "ratio", ".pyc ms", "ratio", "target", "peak RSS MiB"],
        rows,
    )


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
    parser.add_argument("--only-imports", action="store_true", help="only the cold-import table (no local stack)")
    parser.add_argument("--only-search", action="store_true", help="only the order search table (bench/search.py)")
    args = parser.parse_args()
    if args.only_search:
        from tests.bench import search

        print(search.run(list(search.SIZES), search.LIMIT))
        return
    if args.only_imports:
        print(import_table(args.imports))
        print(json.dumps({"python": sys.version.split()[0]}))
        return

    install_call_counter()
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # the relay's EMF lines would join the tables
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

    print(import_table(args.imports))
    print(json.dumps({"python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
