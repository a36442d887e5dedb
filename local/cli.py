"""``oms-local``: serve template.yaml on this machine until Ctrl-C.

oms-local                                   # http://127.0.0.1:3000, payment timeout 120 s
oms-local --port 8080 --payment-timeout 30
oms-local --parameter-overrides LogLevel=DEBUG PaymentTimeoutSeconds=600
"""

from __future__ import annotations

import argparse
import logging
import shlex
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .core.functions import FunctionLoadError
from .core.template import TemplateError
from .oms.console import console_dir
from .oms.seed import DEMO_CHANNEL_USER, DEMO_PRODUCTS, DEMO_STORE_ID, DEMO_USERS, SeedError
from .stack import EXPLORER_PATH, LOCAL_PARAMETER_DEFAULTS, LocalStack


def parse_overrides(items: list[str]) -> dict[str, str]:
    """``Key=Value`` items (several may share one argument, separated by spaces, as with sam deploy)."""
    overrides: dict[str, str] = {}
    for item in (part for argument in items for part in shlex.split(argument)):
        key, separator, value = item.partition("=")
        if not separator or not key:
            raise argparse.ArgumentTypeError(f"expected Key=Value, got {item!r}")
        overrides[key] = value
    return overrides


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oms-local",
        description="Run the OMS API locally: template.yaml on an in-process AWS emulator (moto), no Docker.",
    )
    parser.add_argument("--port", type=int, default=3000, help="API port (default 3000; 0 picks a free one)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; the /_local/token endpoint mints tokens for anyone who can reach it)",
    )
    parser.add_argument("--template", default="template.yaml", help="SAM template (default ./template.yaml)")
    parser.add_argument("--stack-name", default="oms-local", help="prefix of resource names (default oms-local)")
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="template parameter values, e.g. PaymentTimeoutSeconds=600 LogLevel=DEBUG; local defaults: "
        + " ".join(f"{key}={value}" for key, value in LOCAL_PARAMETER_DEFAULTS.items()),
    )
    parser.add_argument(
        "--payment-timeout",
        type=int,
        metavar="SECONDS",
        help="shortcut for --parameter-overrides PaymentTimeoutSeconds=SECONDS",
    )
    parser.add_argument(
        "--auto-confirm",
        type=int,
        metavar="SECONDS",
        help="shortcut for --parameter-overrides AutoConfirmDays=SECONDS (locally a day is a second; default 7)",
    )
    parser.add_argument("--no-seed", action="store_true", help="do not create the demo store and catalog")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser


def banner(stack: LocalStack) -> str:
    api = stack.base_url
    parameters = " ".join(f"{key}={value}" for key, value in stack.template.parameters.items())
    lines = [
        "",
        "OMS local stack is up.",
        f"  API           {api}",
        f"  Health        {api}/_local/health",
        f"  API explorer  {api}{EXPLORER_PATH}   (OpenAPI document: {api}/_local/openapi.json)",
        f"  Console       {api}/console/   "
        + (
            f"(shop front: {api}/console/#/shop; sign in as any demo user)"
            if (console_dir() / "index.html").is_file()
            else "(not built: npm ci --prefix console && npm run build --prefix console)"
        ),
        f"  AWS (moto)    {stack.aws_endpoint_url}   (aws --endpoint-url {stack.aws_endpoint_url} ...)",
        f"  Table         {stack.resources.get('Table', '-')}",
        f"  Parameters    {parameters}",
    ]
    if stack.seed_result is not None:
        skus = sum(len(product["skus"]) for product in DEMO_PRODUCTS)
        lines.append(f"  Demo store    {DEMO_STORE_ID}: {len(DEMO_PRODUCTS)} products, {skus} SKUs")
        lines.append("  Pricing       promotion spend 200 save 50, points 100 = 1.00, coupon code WELCOME10")
    channel = stack.oms.channel_seed
    if channel is not None:
        lines.append(
            f"  Channel store {channel.store_id} (Tmall, orders as {DEMO_CHANNEL_USER}, balance 1000.00 CNY; "
            "virtual SKUs GIFT-100 codes, VIP-MONTH link, CLOUD-1Y service)"
        )
    lines += ["", "Demo users (tokens signed by this run's key; more from POST /_local/token):"]
    lines.append(f"export OMS_API={api}")
    tokens = stack.demo_tokens
    for user in DEMO_USERS:
        roles = ", ".join(user.roles)
        if user.claims.get("custom:stores"):
            roles += f"; stores {user.claims['custom:stores']}"
        lines.append(f"export OMS_TOKEN_{user.key.upper()}={tokens[user.subject]}  # {user.subject} ({roles})")
    lines += [
        "",
        "Try:",
        '  curl -s "$OMS_API/products?store=demo"',
        '  curl -s -X POST "$OMS_API/orders/quote" -H "Authorization: Bearer $OMS_TOKEN_CUSTOMER" '
        '-H \'Content-Type: application/json\' -d \'{"lines": [{"skuId": "TEE-RED-M", "quantity": 2}]}\'',
        "",
        "Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("botocore", "boto3", "urllib3", "pynamodb"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLevelName(args.log_level)))
    try:
        overrides = parse_overrides(args.parameter_overrides)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    if args.payment_timeout is not None:
        overrides["PaymentTimeoutSeconds"] = str(args.payment_timeout)
    if args.auto_confirm is not None:
        overrides["AutoConfirmDays"] = str(args.auto_confirm)
    if not Path(args.template).is_file():
        parser.error(f"no template at {args.template} (run from the repository root or pass --template)")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger("local_stack").warning("binding %s: anyone who can reach it can mint tokens", args.host)

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    stack = LocalStack(
        template_path=args.template,
        port=args.port,
        host=args.host,
        parameter_overrides=overrides,
        stack_name=args.stack_name,
        seed=not args.no_seed,
    )
    try:
        stack.start()
    except (TemplateError, FunctionLoadError, SeedError, OSError) as exc:
        logging.getLogger("local_stack").error("the local stack did not start: %s", exc)
        return 1
    except Exception as exc:
        logging.getLogger("local_stack").error("the local stack did not start: %s", exc, exc_info=True)
        return 1
    try:
        print(banner(stack), flush=True)
        while not stop.wait(1):
            pass
    finally:
        print("\nStopping...", file=sys.stderr, flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
