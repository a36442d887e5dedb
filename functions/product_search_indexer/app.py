"""Product search indexer (only with EnableProductSearchOpenSearch): keeps the OpenSearch index current.

Fed from the table's stream through the outbox relay and the bus (docs/search.md: the stream already has
its two Lambda readers, the relay and the after-commit function, so this one reads the bus): a
`ProductChanged` event re-reads the product from the table and puts its document (or deletes it); an
`OrderPaid` event counts the units sold into the products' sales counters (once per event: the same inbox
rows as the after-commit function's count, whichever comes first counts) and re-indexes those products.
Anything not done raises: Lambda retries, then the event lands in the function's dead-letter queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import wiring
from oms.services.consumers import BusEvent

logger = Logger()
services = wiring.services()
_ready: list[bool] = []


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    indexer = services.product_search_indexer
    if not _ready:  # the index and its mapping, once per execution environment
        indexer.engine.ensure_index()  # type: ignore[attr-defined]
        _ready.append(True)
    bus_event = BusEvent.from_eventbridge(event)
    if bus_event.type == "OrderPaid":
        products = indexer.count_sales(bus_event.event_id, list(bus_event.detail.get("lines") or ()))
    else:
        product_id = str(bus_event.detail["productId"])
        indexer.reindex(product_id, [str(s) for s in bus_event.detail.get("skuIds") or ()])
        products = [product_id]
    logger.info("indexed", extra={"eventId": bus_event.event_id, "type": bus_event.type, "products": products})
    return {"eventId": bus_event.event_id, "products": products}
