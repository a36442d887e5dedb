"""``oms-dlq``: list and redrive the bus consumers' dead-letter queues, on AWS or on the local stack.

    oms-dlq --stack-name oms-prod queues                      # every consumer with its queue and depth
    oms-dlq --stack-name oms-prod list statistics              # what one consumer's queue holds
    oms-dlq --stack-name oms-prod redrive statistics           # run the consumer again on each event
    oms-dlq --stack-name oms-prod redrive statistics --event-id 01J...   # only these
    oms-dlq --local list notifications                         # a running oms-local (http://127.0.0.1:3000)

A consumer (an EventBridge rule's Lambda target) that fails an event is retried by Lambda, then the event
lands in the function's dead-letter queue (SAM `DeadLetterQueue`); EventBridge puts events it could not
deliver at all in the same queue (the rule target's `DeadLetterConfig`). Both messages carry the event
itself. A redrive invokes the consumer synchronously with the stored event and deletes the message only
if the consumer succeeded, so a message that fails again stays, with the error printed. Consumers are
idempotent by the outbox's `eventId` (`oms.services.consumers`): redriving an event that some other path
already applied changes nothing. A consumer is named by its function name or by the part after the
stack's name (`statistics` for `oms-prod-statistics`).
Needs: lambda:GetFunctionConfiguration/InvokeFunction, sqs:GetQueueUrl/GetQueueAttributes/ReceiveMessage/
DeleteMessage/ChangeMessageVisibility, and cloudformation:ListStackResources with --stack-name.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from dataclasses import dataclass
from typing import Any

LOCAL_API = "http://127.0.0.1:3000"
HOLD_SECONDS = 120  # received messages stay hidden this long while a command works on them


@dataclass(frozen=True)
class Consumer:
    function: str
    queue_arn: str

    @property
    def queue_name(self) -> str:
        return self.queue_arn.split(":")[5]


@dataclass(frozen=True)
class Letter:
    message_id: str
    receipt_handle: str
    event: dict[str, Any]
    error: str | None

    def summary(self) -> dict[str, Any]:
        detail = self.event.get("detail") if isinstance(self.event.get("detail"), dict) else {}
        return {
            "messageId": self.message_id,
            "detailType": self.event.get("detail-type"),
            "eventId": (detail or {}).get("eventId") or self.event.get("id"),
            "error": self.error,
        }


class Session:
    def __init__(self, endpoint_url: str | None, region: str | None, local: bool) -> None:
        self.endpoint_url, self.region, self.local = endpoint_url, region, local

    def client(self, service: str) -> Any:
        import boto3

        options: dict[str, Any] = {"region_name": self.region or ("us-east-1" if self.local else None)}
        if self.endpoint_url:
            options["endpoint_url"] = self.endpoint_url
        if self.local:  # moto accepts any credentials; never use real ones against it
            options.update(aws_access_key_id="local", aws_secret_access_key="local", aws_session_token="local")
        return boto3.client(service, **options)  # type: ignore[call-overload]


def local_consumers(api_url: str) -> tuple[list[Consumer], str, str]:
    with urllib.request.urlopen(f"{api_url.rstrip('/')}/_local/health", timeout=10) as response:
        health: dict[str, Any] = json.loads(response.read())
    consumers = [Consumer(q["function"], q["queueArn"]) for q in health.get("deadLetterQueues", [])]
    return consumers, str(health["endpoints"]["aws"]), str(health.get("stack", ""))


def stack_consumers(session: Session, stack_name: str) -> list[Consumer]:
    cloudformation, awslambda = session.client("cloudformation"), session.client("lambda")
    consumers = []
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for resource in page["StackResourceSummaries"]:
            if resource["ResourceType"] != "AWS::Lambda::Function":
                continue
            name = resource["PhysicalResourceId"]
            target = (awslambda.get_function_configuration(FunctionName=name).get("DeadLetterConfig") or {}).get(
                "TargetArn"
            )
            if target and target.split(":")[2] == "sqs":
                consumers.append(Consumer(name, target))
    return consumers


def pick(consumers: list[Consumer], stack_name: str, name: str) -> Consumer:
    for consumer in consumers:
        if consumer.function in (name, f"{stack_name}-{name}"):
            return consumer
    known = ", ".join(sorted(c.function for c in consumers)) or "none"
    raise SystemExit(f"oms-dlq: no consumer {name!r} with a dead-letter queue (known: {known})")


def queue_url(session: Session, consumer: Consumer) -> str:
    return str(session.client("sqs").get_queue_url(QueueName=consumer.queue_name)["QueueUrl"])


def receive(sqs: Any, url: str, limit: int) -> list[Letter]:
    """Up to `limit` messages, each once; they stay hidden HOLD_SECONDS: delete or release each."""
    from oms.adapters.outbox import receive_messages

    letters = []
    for message in receive_messages(sqs, url, visibility_timeout=HOLD_SECONDS, limit=limit):
        try:
            event = json.loads(message.get("Body") or "{}")
        except ValueError:
            event = {}
        attributes = message.get("MessageAttributes") or {}
        error = (attributes.get("ErrorMessage") or attributes.get("ERROR_MESSAGE") or {}).get("StringValue")
        letters.append(
            Letter(message["MessageId"], message["ReceiptHandle"], event if isinstance(event, dict) else {}, error)
        )
    return letters


def release(sqs: Any, url: str, letter: Letter) -> None:
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=letter.receipt_handle, VisibilityTimeout=0)


def redrive(
    session: Session, consumer: Consumer, *, event_ids: list[str], limit: int, dry_run: bool
) -> list[dict[str, Any]]:
    """Invoke the consumer with each stored event; delete the messages it took. One row per message."""
    sqs, awslambda = session.client("sqs"), session.client("lambda")
    url = queue_url(session, consumer)
    rows = []
    for letter in receive(sqs, url, limit):
        row = letter.summary()
        if (event_ids and row["eventId"] not in event_ids) or dry_run:
            release(sqs, url, letter)
            if not event_ids or row["eventId"] in event_ids:
                rows.append({**row, "action": "would redrive"})
            continue
        answer = awslambda.invoke(
            FunctionName=consumer.function, InvocationType="RequestResponse", Payload=json.dumps(letter.event)
        )
        payload = answer["Payload"].read()
        if answer.get("FunctionError"):
            release(sqs, url, letter)
            try:
                failure = json.loads(payload or b"{}")
                reason = f"{failure.get('errorType')}: {failure.get('errorMessage')}"
            except ValueError:
                reason = str(answer["FunctionError"])
            rows.append({**row, "redriven": False, "error": reason})
        else:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=letter.receipt_handle)
            rows.append({**row, "redriven": True, "error": None})
    return rows


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oms-dlq", description=__doc__.split("\n\n")[0])
    where = parser.add_argument_group("which stack")
    where.add_argument("--stack-name", help="the CloudFormation stack whose consumers to look at")
    where.add_argument(
        "--local", nargs="?", const=LOCAL_API, metavar="API_URL", help=f"a running oms-local (default {LOCAL_API})"
    )
    where.add_argument("--endpoint-url", help="AWS endpoint to call (e.g. a moto server)")
    where.add_argument("--region", help="AWS region (default: the usual boto3 configuration)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("queues", help="every consumer with a dead-letter queue, and how many messages it holds")
    listing = commands.add_parser("list", help="show what a consumer's queue holds (nothing is changed)")
    listing.add_argument("consumer")
    listing.add_argument("--max", type=int, default=100, help="at most this many messages (default 100)")
    again = commands.add_parser("redrive", help="run the consumer again on stored events; delete those it took")
    again.add_argument("consumer")
    again.add_argument("--event-id", action="append", default=[], help="only this event (repeatable)")
    again.add_argument("--max", type=int, default=1000, help="at most this many messages (default 1000)")
    again.add_argument("--dry-run", action="store_true", help="say what would be redriven; change nothing")
    for command in (listing, again):
        command.add_argument("--json", action="store_true", help="one JSON object per message")
    return parser


def _print(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        for row in rows:
            print(json.dumps(row, default=str))
    elif not rows:
        print("(empty)")
    else:
        for row in rows:
            print("  ".join(f"{key}={value}" for key, value in row.items() if value is not None))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.local:
        consumers, endpoint, stack_name = local_consumers(args.local)
        session = Session(args.endpoint_url or endpoint, args.region, local=True)
    elif args.stack_name:
        session = Session(args.endpoint_url, args.region, local=False)
        consumers, stack_name = stack_consumers(session, args.stack_name), args.stack_name
    else:
        raise SystemExit("oms-dlq: pass --stack-name or --local")
    if args.command == "queues":
        sqs = session.client("sqs")
        rows = []
        for consumer in consumers:
            attributes = sqs.get_queue_attributes(
                QueueUrl=queue_url(session, consumer), AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            rows.append({"function": consumer.function, "queue": consumer.queue_name, **attributes})
        _print(rows, as_json=False)
        return 0
    consumer = pick(consumers, stack_name, args.consumer)
    if args.command == "list":
        sqs = session.client("sqs")
        url = queue_url(session, consumer)
        letters = receive(sqs, url, args.max)
        for letter in letters:
            release(sqs, url, letter)
        _print([letter.summary() for letter in letters], args.json)
        return 0
    rows = redrive(session, consumer, event_ids=args.event_id, limit=args.max, dry_run=args.dry_run)
    _print(rows, args.json)
    return 1 if any(row.get("redriven") is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
