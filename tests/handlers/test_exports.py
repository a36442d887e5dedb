"""Order exports through their handlers under moto: POST /exports records the job (audited, with the outbox
row that starts it), the job's chunks write the file to the exports bucket, and every format is opened by a
real parser (csv, openpyxl, pypdf) and checked against the orders. Masking per role, bad input, other
people's exports, and chunked continuation (a small time budget: several chunks, the same bytes)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from types import ModuleType
from typing import Any

import boto3
import moto.s3.models
import pytest
from oms.domain.exports import decimal_amount
from oms.domain.personal_data import mask_address, mask_name, mask_phone
from oms.store import keys
from oms.store.models import AuditItem, ExportJobItem, Item
from oms.store.records import HeaderRecord

from tests.handlers.conftest import ADMIN, SUPPORT, Api, TableStream, load_function
from tests.helpers.exports import Budget, seed_orders

BUCKET = "oms-exports-test"
FINANCE = {"sub": "finance-1", "roles": ("finance",)}
WAREHOUSE = {"sub": "warehouse-1", "roles": ("warehouse",)}
CUSTOMER = {"sub": "cust-1", "roles": ("customer",)}
FIELDS = ["orderNumber", "status", "createdAt", "customerId", "total", "lines", "shippingName", "shippingPhone",
          "shippingAddress"]  # fmt: skip


@pytest.fixture
def modules(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ModuleType, ModuleType]]:
    monkeypatch.setenv("EXPORTS_BUCKET", BUCKET)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    yield load_function("exports"), load_function("export_job")
    for obj in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=obj["Key"])


@pytest.fixture
def api(modules: tuple[ModuleType, ModuleType]) -> Api:
    return Api(modules[0])


@pytest.fixture
def job(modules: tuple[ModuleType, ModuleType]) -> ModuleType:
    return modules[1]


def ask(api: Api, body: dict[str, Any], who: dict[str, Any] = ADMIN, key: str = "k1") -> tuple[int, Any]:
    status, _, answer = api("POST", "/exports", body=body, headers={"Idempotency-Key": key}, **who)
    return status, answer


def run(job: ModuleType, export_id: str, budget: Budget | None = None) -> int:
    """The state machine's loop: chunks until done; how many ran."""
    chunks = 0
    while True:
        progress = job.services.exports.run_chunk(export_id, budget or Budget(600_000))
        chunks += 1
        if progress["done"]:
            return chunks
        assert chunks < 1000


def file_of(api: Api, export_id: str, who: dict[str, Any] = ADMIN) -> tuple[dict[str, Any], bytes]:
    status, _, view = api("GET", f"/exports/{export_id}", route="GET /exports/{exportId}", **who)
    assert status == 200, view
    assert view["state"] == "SUCCEEDED", view
    key = ExportJobItem.get(*keys.export_job(export_id)).objectKey
    assert key in view["download"]["url"] and "X-Amz-Expires=900" in view["download"]["url"]
    assert view["download"]["expiresInSeconds"] == 900
    return view, boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def expected(order: HeaderRecord, masked: bool) -> list[str]:
    address = order.shippingAddress
    lines = "Tee M 短袖 ×{}; Mug ×1".format(order.pricing["lines"][0]["quantity"])
    name, phone = address["name"], address["phone"]
    where = mask_address(address) if masked else f"{address['line1']}, Shanghai, CN"
    name_cell = mask_name(name) if masked else name
    return [
        order.orderNumber,
        order.status,
        order.createdAt,
        order.customerId,
        format(decimal_amount(order.total.amount, "CNY"), "f"),
        lines,
        ("'" + name_cell) if name_cell.startswith("=") else name_cell,
        "'" + (mask_phone(phone) if masked else phone),  # '+' first: quoted against CSV formula injection
        where,
    ]


def audit_of(export_id: str) -> list[AuditItem]:
    return [i for i in Item.query(f"AUDIT#EXPORT#{export_id}") if isinstance(i, AuditItem)]


def test_a_csv_export_holds_every_matching_order_with_its_fields_and_is_audited(api: Api, job: ModuleType) -> None:
    orders = seed_orders(40)
    seed_orders(5, first=100, status="CANCELLED")
    status, view = ask(api, {"format": "csv", "fields": FIELDS, "filters": {"status": "PAID"}})
    assert status == 202, view
    assert view["state"] == "QUEUED" and view["rowsDone"] == 0 and view["masked"] is False
    assert view["filters"] == {"status": "PAID"} and view["createdBy"] == "admin-1"

    assert run(job, view["exportId"]) == 1
    done, body = file_of(api, view["exportId"])
    assert done["rowsDone"] == 40 and done["bytes"] == len(body)
    rows = csv_rows(body)
    assert rows[0] == [
        "订单号",
        "订单状态",
        "下单时间",
        "客户ID",
        "订单金额",
        "商品明细",
        "收货人",
        "联系电话",
        "收货地址",
    ]
    assert rows[1:] == [expected(o, masked=False) for o in orders]

    requested, succeeded = sorted(audit_of(view["exportId"]), key=lambda a: a.at)
    assert (requested.action, requested.by, requested.role) == ("export.requested", "admin-1", "admin")
    assert requested.after == {"format": "csv", "fields": FIELDS, "filters": {"status": "PAID"}, "masked": False}
    assert succeeded.action == "export.succeeded" and succeeded.after["rows"] == 40


def test_the_job_starts_after_the_commit_from_the_outbox_row(api: Api) -> None:
    stream = TableStream("AfterCommitFunction")
    _, view = ask(api, {"format": "csv"})
    [record] = [r for r in stream.new_records() if r["dynamodb"]["NewImage"]["detailType"]["S"] == "ExportRequested"]
    assert record["dynamodb"]["Keys"]["PK"]["S"] == f"EXPORT#{view['exportId']}"


def test_an_xlsx_export_opens_in_openpyxl_with_english_headers_and_numeric_amounts(api: Api, job: ModuleType) -> None:
    from openpyxl import load_workbook

    orders = seed_orders(25)
    _, view = ask(api, {"format": "xlsx", "fields": ["orderNumber", "total", "shippingName"], "locale": "en"})
    run(job, view["exportId"])
    _, body = file_of(api, view["exportId"])
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Order number", "Order total", "Recipient"]
    assert rows[1:] == [
        [o.orderNumber, float(Decimal(o.total.amount) / 100), o.shippingAddress["name"]] for o in orders
    ]


def test_a_pdf_export_is_a_readable_table_with_masked_personal_data_for_support(api: Api, job: ModuleType) -> None:
    from pypdf import PdfReader

    orders = seed_orders(60)
    _, view = ask(api, {"format": "pdf", "fields": FIELDS, "locale": "en"}, SUPPORT)
    assert view["masked"] is True
    run(job, view["exportId"])
    _, body = file_of(api, view["exportId"], SUPPORT)
    reader = PdfReader(io.BytesIO(body))
    text = "".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2 and "Order number" in text
    for order in orders:
        assert order.orderNumber in text
    assert "Han Meimei" not in text and "H*********" in text  # masked names; CJK ones drawn as '?'
    assert "Nanjing Rd" not in text


@pytest.mark.parametrize(("who", "masked"), [(ADMIN, False), (SUPPORT, True), (FINANCE, True), (WAREHOUSE, True)])
def test_personal_data_is_masked_unless_the_role_may_see_it(
    api: Api, job: ModuleType, who: dict[str, Any], masked: bool
) -> None:
    orders = seed_orders(8)
    status, view = ask(api, {"format": "csv", "fields": FIELDS}, who)
    assert status == 202 and view["masked"] is masked
    run(job, view["exportId"])
    _, body = file_of(api, view["exportId"], who)
    assert csv_rows(body)[1:] == [expected(o, masked=masked) for o in orders]


def _nothing_written() -> None:
    assert [i for i in ExportJobItem.scan()] == []
    assert [i for i in AuditItem.scan()] == []


@pytest.mark.parametrize(
    ("body", "slug", "where"),
    [
        ({"format": "csv", "fields": ["orderNumber", "password"]}, "validation-failed", "fields"),
        ({"format": "docx"}, "validation-failed", "format"),
        ({"format": "csv", "fields": []}, "validation-failed", "fields"),
        ({"format": "csv", "fields": ["total", "total"]}, "validation-failed", "fields"),
        ({"format": "csv", "filters": {"status": "SHIPPING"}}, "validation-failed", "status"),
        ({"format": "csv", "filters": {"createdFrom": "yesterday"}}, "validation-failed", "createdFrom"),
        ({"format": "csv", "locale": "fr"}, "validation-failed", "locale"),
        ({"format": "csv", "masked": False}, "validation-failed", "masked"),
    ],
)
def test_bad_requests_are_problems_and_write_nothing(api: Api, body: dict[str, Any], slug: str, where: str) -> None:
    seed_orders(3)
    status, problem = ask(api, body)
    assert status == 422, problem
    assert problem["type"] == f"urn:oms:problem:{slug}"
    assert where in str(problem)
    _nothing_written()


def test_a_pdf_of_more_than_its_cap_is_refused_at_the_request(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("oms.services.exports.PDF_MAX_ROWS", 10)
    seed_orders(11)
    status, problem = ask(api, {"format": "pdf"})
    assert status == 422 and problem["type"] == "urn:oms:problem:export-too-large" and problem["limit"] == 10
    _nothing_written()
    seed_orders(1, first=500, status="CANCELLED")
    status, _ = ask(api, {"format": "pdf", "filters": {"status": "CANCELLED"}}, key="k2")
    assert status == 202


def test_customers_may_not_export_and_staff_see_only_their_own_exports(api: Api) -> None:
    status, _ = ask(api, {"format": "csv"}, CUSTOMER)
    assert status == 403
    _, mine = ask(api, {"format": "csv"}, SUPPORT)
    _, theirs = ask(api, {"format": "csv"}, FINANCE)
    status, _, answer = api("GET", f"/exports/{theirs['exportId']}", route="GET /exports/{exportId}", **SUPPORT)
    assert status == 404 and answer["type"] == "urn:oms:problem:not-found"
    status, _, page = api("GET", "/exports", **SUPPORT)
    assert status == 200 and [e["exportId"] for e in page["items"]] == [mine["exportId"]]
    status, _, page = api("GET", "/exports", query={"limit": "1"}, **ADMIN)
    assert [e["exportId"] for e in page["items"]] == [theirs["exportId"]] and page["next_cursor"]
    status, _, more = api("GET", "/exports", query={"limit": "1", "cursor": page["next_cursor"]}, **ADMIN)
    assert [e["exportId"] for e in more["items"]] == [mine["exportId"]]
    status, _, answer = api("GET", "/exports/01JZZZZZZZZZZZZZZZZZZZZZZZ", route="GET /exports/{exportId}", **ADMIN)
    assert status == 404


def test_the_same_idempotency_key_and_body_answer_the_same_export(api: Api) -> None:
    status, headers, first = api(
        "POST", "/exports", body={"format": "csv"}, headers={"Idempotency-Key": "same"}, **ADMIN
    )
    again_status, again_headers, again = api(
        "POST", "/exports", body={"format": "csv"}, headers={"Idempotency-Key": "same"}, **ADMIN
    )
    assert (status, again_status) == (202, 202) and again == first
    assert again_headers.get("Idempotent-Replayed") == "true" and headers["Location"] == f"/exports/{first['exportId']}"
    status, _ = ask(api, {"format": "xlsx"}, key="same")
    assert status == 422
    assert len(list(ExportJobItem.scan())) == 1


def test_a_small_time_budget_continues_over_chunks_and_writes_the_same_file(
    api: Api, job: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 4 * 1024)
    exports = job.services.exports
    monkeypatch.setattr(exports, "part_bytes", 4 * 1024)
    monkeypatch.setattr(exports, "page_size", 10)
    orders = seed_orders(120)
    _, whole = ask(api, {"format": "csv", "fields": FIELDS}, key="whole")
    _, chunked = ask(api, {"format": "csv", "fields": FIELDS}, key="chunked")
    assert run(job, whole["exportId"]) == 1
    # Each chunk: one part, then less time left than two of its parts and the margin: it returns.
    chunks = run(job, chunked["exportId"], Budget(1_000))
    done, body = file_of(api, chunked["exportId"])
    _, whole_body = file_of(api, whole["exportId"])
    assert chunks > 3 and done["chunks"] == chunks and done["rowsDone"] == 120
    assert body == whole_body
    assert csv_rows(body)[1:] == [expected(o, masked=False) for o in orders]


def test_progress_is_visible_between_chunks(api: Api, job: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 16 * 1024)
    exports = job.services.exports
    monkeypatch.setattr(exports, "part_bytes", 16 * 1024)
    monkeypatch.setattr(exports, "page_size", 50)
    seed_orders(200)
    _, view = ask(api, {"format": "csv", "fields": FIELDS})
    progress = exports.run_chunk(view["exportId"], Budget(1_000))
    assert progress["done"] is False
    _, _, seen = api("GET", f"/exports/{view['exportId']}", route="GET /exports/{exportId}", **ADMIN)
    assert seen["state"] == "RUNNING" and 0 < seen["rowsDone"] < 200 and "download" not in seen


def test_a_job_that_keeps_failing_is_marked_failed_with_its_reason_and_its_upload_aborted(
    api: Api, job: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 16 * 1024)
    exports = job.services.exports
    monkeypatch.setattr(exports, "part_bytes", 16 * 1024)
    monkeypatch.setattr(exports, "page_size", 50)
    seed_orders(200)
    _, view = ask(api, {"format": "csv", "fields": FIELDS})
    exports.run_chunk(view["exportId"], Budget(1_000))
    answer = job.handler(
        {"action": "fail", "exportId": view["exportId"], "error": "States.Timeout", "cause": "Task timed out"},
        _Context(),
    )
    assert answer["state"] == "FAILED" and answer["done"] is True
    _, _, seen = api("GET", f"/exports/{view['exportId']}", route="GET /exports/{exportId}", **ADMIN)
    assert seen["state"] == "FAILED" and "ran out of time" in seen["failure"] and "download" not in seen
    assert boto3.client("s3").list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert exports.run_chunk(view["exportId"], Budget(600_000))["state"] == "FAILED"  # ended: nothing more runs
    assert [a.action for a in sorted(audit_of(view["exportId"]), key=lambda a: a.at)][-1] == "export.failed"


def test_an_xlsx_over_its_row_cap_fails_clearly(api: Api, job: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("oms.services.exports.XLSX_MAX_ROWS", 20)
    seed_orders(21)
    _, view = ask(api, {"format": "xlsx"})
    run(job, view["exportId"])
    _, _, seen = api("GET", f"/exports/{view['exportId']}", route="GET /exports/{exportId}", **ADMIN)
    assert seen["state"] == "FAILED" and "at most 20 rows" in seen["failure"]


def test_the_job_function_runs_a_chunk_with_its_lambda_time(api: Api, job: ModuleType) -> None:
    seed_orders(5)
    _, view = ask(api, {"format": "csv"})
    answer = job.handler({"action": "chunk", "exportId": view["exportId"]}, _Context())
    assert answer == {"exportId": view["exportId"], "state": "SUCCEEDED", "done": True, "rowsDone": 5, "chunks": 1}
    with pytest.raises(ValueError):
        job.handler({"action": "chunk"}, _Context())


class _Context:
    function_name = "export-job"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:export-job"
    memory_limit_in_mb = 1024
    aws_request_id = "req"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000
