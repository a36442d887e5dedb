"""The daily checks report (seed 004's 每日检查): what `ChannelService.daily_checks` shows staff, published
each morning as a CSV of every line needing attention and a summary of the counts (docs/channels.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oms.domain.permissions import Actor
from oms.domain.reporting import Period
from oms.services.reports import ReportOutput, csv_file

if TYPE_CHECKING:
    from oms.services.report_jobs import ReportDeps

HEADER = ("section", "storeId", "orderId", "orderNumber", "stage", "since", "details")


def daily_checks_report(period: Period, deps: ReportDeps) -> ReportOutput:
    checks = deps.services.channels.daily_checks(Actor.system("daily-checks"))
    rows: list[tuple[Any, ...]] = []
    for store in checks["channelBalances"]:
        if store["matches"] is False or store["stale"] or store["status"] != "ENABLED":
            difference = store["difference"]["amount"] if store["difference"] else ""
            why = "stale sync" if store["stale"] else ("disabled" if store["status"] != "ENABLED" else "mismatch")
            rows.append(
                (
                    "channel-balance",
                    store["storeId"],
                    "",
                    "",
                    store["status"],
                    store["syncedAt"] or "",
                    f"{why}; difference {difference}",
                )
            )
    for section, items in checks["attention"].items():
        for item in items:
            if section == "findings":
                rows.append((section, item["storeId"], "", "", item["kind"], item["at"], str(item["details"])))
            else:
                store_id = item.get("channelStoreId") or ",".join(item.get("storeIds", []))
                rows.append(
                    (
                        section,
                        store_id,
                        item["orderId"],
                        item["orderNumber"],
                        item["stage"],
                        item["stageSince"],
                        item.get("reason") or "",
                    )
                )
    return ReportOutput(
        type="daily-checks",
        period=str(period),
        files=[csv_file("daily-checks.csv", HEADER, rows)],
        summary={"at": checks["at"], **checks["counts"]},
    )
