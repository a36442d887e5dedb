"""Export benchmark (not part of the default test run). One command:

    python -m tests.bench.exports [--sizes 10000 100000] [--formats csv xlsx]

Starts a moto server in this process (the table with the export's job row, the exports bucket that takes
the multipart upload) and for each size and format runs one whole export (the job's chunks, as its state
machine would) in a fresh interpreter against that server, so the RSS it reports is the export's own, not
moto's: the peak resident size while the export runs (VmHWM, reset once everything is imported) and its
growth over the resident size before it. Not `ru_maxrss`: a child's starts at its parent's resident size
at the fork (Linux carries the old mm's high-water mark over exec), here moto's with the files of earlier
runs. The goal (issue 12) is a peak RSS at 100k orders within 1.2x of 10k's.

The orders come from `StoreRowPages`: pages of real order rows (tests/helpers/exports.py, built by the
store's own `_header_item` and read back by its `header_record`, as the index query returns them), made
page by page in the export's process. Not from moto's DynamoDB: its response serializer takes seconds per
500-item page (measured: over botocore's 2 s read timeout), so it would measure moto, not the export; on
AWS a page of the staff listing's index is one Query of at most 1 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "oms-bench-exports"
TABLE = "oms-bench"
FIELDS = ["orderNumber", "status", "createdAt", "stores", "customerId", "currency", "total", "lines",
          "shippingName", "shippingPhone", "shippingAddress"]  # fmt: skip


def _environment(endpoint: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": TABLE,
        "EXPORTS_BUCKET": BUCKET,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "OMS_AWS_READ_TIMEOUT": "60",  # moto takes its time over an 8 MiB part
    }


def _status_mib(field: str) -> float:
    """VmRSS (resident now) or VmHWM (peak resident since the last reset) of this process, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise LookupError(field)


def _reset_peak() -> None:
    """Reset VmHWM to the resident size now (Linux >= 4.0), so the peak measured is the export's own and not
    the interpreter's start-up (whose transient peak `ru_maxrss` keeps for ever)."""
    Path("/proc/self/clear_refs").write_text("5")


def child(export_format: str) -> None:
    """One whole export in this interpreter; prints its numbers as JSON."""
    from oms import wiring
    from oms.domain.exports import ExportFormat, Locale
    from oms.domain.permissions import Actor, Role
    from oms.services.exports import ExportRequest

    exports = wiring.services().exports
    exports.repository.orders_page = StoreRowPages(int(os.environ["BENCH_ORDERS"]))  # type: ignore[method-assign]
    admin = Actor("bench-admin", frozenset({Role.ADMIN}))
    request = ExportRequest(ExportFormat(export_format), tuple(FIELDS), None, None, None, Locale.ZH_CN)
    _, view, _ = exports.create(admin, request, idempotency_key=None, fingerprint="bench")
    import xlsxwriter  # noqa: F401  (what the export job imports, imported before the baseline)

    _reset_peak()
    baseline = _status_mib("VmRSS")
    started = time.perf_counter()
    chunks = 0
    while True:
        progress = exports.run_chunk(view["exportId"], lambda: 600_000)
        chunks += 1
        if progress["done"]:
            break
    seconds = time.perf_counter() - started
    done = exports.get(admin, view["exportId"])
    print(
        json.dumps(
            {
                "state": done["state"],
                "rows": done["rowsDone"],
                "bytes": done["bytes"],
                "seconds": seconds,
                "chunks": chunks,
                "baseline_mib": baseline,
                "peak_mib": _status_mib("VmHWM"),
            }
        )
    )


class StoreRowPages:
    """`ExportRepository.orders_page` over `total` orders: each page built when asked (one page in memory)."""

    def __init__(self, total: int) -> None:
        self.total = total

    def __call__(self, filters: dict[str, Any], cursor: str | None, page_size: int) -> tuple[list[Any], str | None]:
        from oms.store.orders import _header_item
        from oms.store.rows import header_record

        from tests.helpers.exports import header

        start = int(cursor or 0)
        end = min(start + page_size, self.total)
        page = [header_record(_header_item(header(self.total - 1 - n))) for n in range(start, end)]
        return page, (str(end) if end < self.total else None)


def table(rows: list[list[str]]) -> str:
    header = ["format", "orders", "rows/s", "seconds", "chunks", "file MiB", "peak RSS MiB", "growth MiB"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join([line, rule, *body])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx"], choices=["csv", "xlsx"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    from oms_local.core import moto_patches

    moto_patches.apply()  # as the local stack runs moto: one lock around DynamoDB requests, its fixes
    server = moto_patches.LockedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = _environment(endpoint)
    os.environ.update(env)
    try:
        import boto3

        from tests.helpers.handlers import _template_table

        props = {k: v for k, v in _template_table().items() if k not in ("TimeToLiveSpecification",
                 "PointInTimeRecoverySpecification", "SSESpecification", "StreamSpecification")}  # fmt: skip
        boto3.client("dynamodb").create_table(**{**props, "TableName": TABLE})
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        results: list[list[str]] = []
        peaks: dict[tuple[str, int], float] = {}
        for size in sorted(args.sizes):
            for export_format in args.formats:
                out = subprocess.run(
                    [sys.executable, "-m", "tests.bench.exports", "--child", export_format],
                    cwd=ROOT,
                    env={**env, "BENCH_ORDERS": str(size)},
                    check=True,
                    stdout=subprocess.PIPE,
                    text=True,
                ).stdout
                numbers: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
                assert numbers["state"] == "SUCCEEDED" and numbers["rows"] == size, numbers
                peaks[(export_format, size)] = numbers["peak_mib"]
                results.append(
                    [
                        export_format,
                        f"{size:,}",
                        f"{numbers['rows'] / numbers['seconds']:,.0f}",
                        f"{numbers['seconds']:.1f}",
                        str(numbers["chunks"]),
                        f"{numbers['bytes'] / 2**20:.1f}",
                        f"{numbers['peak_mib']:.0f}",
                        f"{numbers['peak_mib'] - numbers['baseline_mib']:.0f}",
                    ]
                )
                print(f"{export_format} {size}: {numbers}", file=sys.stderr)
        print("\nExports: one whole export per row, in a fresh interpreter (its own peak RSS), 11 fields\n")
        print(table(results))
        low, high = min(args.sizes), max(args.sizes)
        if low != high:
            for export_format in args.formats:
                ratio = peaks[(export_format, high)] / peaks[(export_format, low)]
                verdict = "within" if ratio <= 1.2 else "OVER"
                print(
                    f"\n{export_format}: peak RSS at {high:,} is {ratio:.2f}x that at {low:,} ({verdict} the 1.2x goal)"
                )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
