"""``oms-outbox-dlq``: inspect and redrive the outbox dead-letter queue, on AWS or on the local stack.

    oms-outbox-dlq --stack-name oms-prod list                 # queue and bus from the stack's outputs
    oms-outbox-dlq --stack-name oms-prod redrive              # publish every stored event again
    oms-outbox-dlq --stack-name oms-prod redrive --event-id 01J...   # only these
    oms-outbox-dlq --queue-url https://sqs... --bus-name oms-prod-bus redrive
    oms-outbox-dlq --local list                               # a running oms-local (http://127.0.0.1:3000)

A redrive publishes each stored entry exactly as the relay built it, its original `eventId` included (so
consumers that already saw the event drop it), and deletes the message only once EventBridge accepted it.
The event source mapping's own on-failure messages (stream batch metadata, written when the relay itself
could not run) are redriven by reading their records back from the stream, which keeps them 24 hours.
Needs: sqs:ReceiveMessage/DeleteMessage/ChangeMessageVisibility, events:PutEvents, and for stream batches
dynamodb:GetShardIterator/GetRecords (plus cloudformation:DescribeStacks with --stack-name).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from dataclasses import dataclass
from typing import Any

from oms.adapters.outbox import receive_dead_letters, redrive_one, release

LOCAL_API = "http://127.0.0.1:3000"
QUEUE_OUTPUT = "OutboxDeadLetterQueueUrl"
BUS_OUTPUT = "EventBusName"
HOLD_SECONDS = 120  # received messages stay hidden this long while a command works on them


@dataclass
class Target:
    queue_url: str
    bus_name: str | None  # the stack's bus (stream batches are published there)
    bus_override: str | None  # --bus-name: replaces the bus stored with each entry
    endpoint_url: str | None
    region: str | None
    local: bool

    def client(self, service: str) -> Any:
        import boto3

        options: dict[str, Any] = {"region_name": self.region or ("us-east-1" if self.local else None)}
        if self.endpoint_url:
            options["endpoint_url"] = self.endpoint_url
        if self.local:  # moto accepts any credentials; never use real ones against it
            options.update(aws_access_key_id="local", aws_secret_access_key="local", aws_session_token="local")
        return boto3.client(service, **options)  # type: ignore[call-overload]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oms-outbox-dlq", description=__doc__.split("\n\n")[0])
    where = parser.add_argument_group("which queue")
    where.add_argument("--stack-name", help="read the queue URL and bus name from this CloudFormation stack's outputs")
    where.add_argument("--queue-url", help="the outbox dead-letter queue URL")
    where.add_argument("--bus-name", help="publish to this bus instead of the one stored with each event")
    where.add_argument(
        "--local",
        nargs="?",
        const=LOCAL_API,
        metavar="API_URL",
        help=f"a running oms-local (default {LOCAL_API}): endpoint, queue and bus from its /_local/health",
    )
    where.add_argument("--endpoint-url", help="AWS endpoint to call (e.g. a moto server)")
    where.add_argument("--region", help="AWS region (default: the usual boto3 configuration)")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="show what the queue holds (nothing is changed)")
    listing.add_argument("--max", type=int, default=100, help="at most this many messages (default 100)")
    listing.add_argument("--json", action="store_true", help="one JSON object per message")
    redrive = commands.add_parser("redrive", help="publish stored events again and delete them from the queue")
    redrive.add_argument("--event-id", action="append", default=[], help="only this event (repeatable)")
    redrive.add_argument("--max", type=int, default=1000, help="at most this many messages (default 1000)")
    redrive.add_argument("--dry-run", action="store_true", help="say what would be published; change nothing")
    redrive.add_argument("--json", action="store_true", help="one JSON object per message")
    return parser


def _local_health(api_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{api_url.rstrip('/')}/_local/health", timeout=10) as response:
        health: dict[str, Any] = json.loads(response.read())
    return health


def resolve_target(args: argparse.Namespace) -> Target:
    queue_url, bus_name, endpoint_url = args.queue_url, args.bus_name, args.endpoint_url
    if args.local:
        health = _local_health(args.local)
        outputs = health.get("outputs") or {}
        endpoint_url = endpoint_url or health["endpoints"]["aws"]
        queue_url = queue_url or outputs.get(QUEUE_OUTPUT)
        bus_name = bus_name or outputs.get(BUS_OUTPUT)
    elif args.stack_name:
        target = Target("", None, None, endpoint_url, args.region, local=False)
        stack = target.client("cloudformation").describe_stacks(StackName=args.stack_name)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        queue_url = queue_url or outputs.get(QUEUE_OUTPUT)
        bus_name = bus_name or outputs.get(BUS_OUTPUT)
    if not queue_url:
        raise SystemExit("oms-outbox-dlq: no queue: pass --queue-url, --stack-name or --local")
    return Target(queue_url, bus_name, args.bus_name, endpoint_url, args.region, local=bool(args.local))


def _print(rows: list[dict[str, Any]], as_json: bool, columns: tuple[str, ...]) -> None:
    if as_json:
        for row in rows:
            print(json.dumps(row, default=str))
        return
    if not rows:
        print("(empty)")
        return
    for row in rows:
        print("  ".join(f"{key}={row.get(key)}" for key in columns if row.get(key) is not None))


def list_command(target: Target, limit: int, as_json: bool) -> int:
    sqs = target.client("sqs")
    letters = receive_dead_letters(sqs, target.queue_url, visibility_timeout=HOLD_SECONDS, limit=limit)
    try:
        _print(
            [letter.summary() for letter in letters],
            as_json,
            ("kind", "eventId", "detailType", "attempts", "failedAt", "condition", "startSequenceNumber", "error"),
        )
    finally:
        for letter in letters:
            release(sqs, target.queue_url, letter)
    return 0


def redrive_command(target: Target, event_ids: list[str], limit: int, dry_run: bool, as_json: bool) -> int:
    sqs, events = target.client("sqs"), target.client("events")
    letters = receive_dead_letters(sqs, target.queue_url, visibility_timeout=HOLD_SECONDS, limit=limit)
    rows: list[dict[str, Any]] = []
    failures = 0
    for letter in letters:
        if event_ids and letter.event_id not in event_ids:
            release(sqs, target.queue_url, letter)
            continue
        if dry_run:
            rows.append({**letter.summary(), "action": "would publish" if letter.summary()["redrivable"] else "skip"})
            release(sqs, target.queue_url, letter)
            continue
        result = redrive_one(
            letter,
            events,
            bus_override=target.bus_override,
            stream_bus=target.bus_name,
            streams=lambda: target.client("dynamodbstreams"),
        ).as_dict()
        if result["published"]:
            sqs.delete_message(QueueUrl=target.queue_url, ReceiptHandle=letter.receipt_handle)
        else:
            failures += 1
            release(sqs, target.queue_url, letter)
        rows.append(result)
    _print(rows, as_json, ("messageId", "eventIds", "published", "reason", "action", "eventId"))
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    target = resolve_target(args)
    if args.command == "list":
        return list_command(target, args.max, args.json)
    return redrive_command(target, args.event_id, args.max, args.dry_run, args.json)


if __name__ == "__main__":
    sys.exit(main())
