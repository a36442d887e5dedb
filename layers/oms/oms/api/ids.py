"""The ids that appear in request paths, with their limits (documented in docs/api.md and in the OpenAPI
document's path parameters).

Every route with path parameters is checked against this table at the edge
(`oms.api.http.check_path_ids`, one of the checks that run before powertools validates a request), before
any handler runs: an id that no resource can have answers 404 like a missing one, instead of reaching
DynamoDB (which refuses keys over 2,048 bytes with a ValidationException, a 500). The limits are bounds
on length and characters, not the exact shape of a ULID: a well-formed id that does not exist is the
service's 404, with the same answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ULID_LENGTH = 26
NAME_ID_MAX = 64
NAME_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"  # ids the client chooses: stores, SKUs, warehouses, codes


@dataclass(frozen=True)
class IdKind:
    label: str
    pattern: str  # anchored
    max_length: int
    rule: str  # the limit in words, for problem details

    def admits(self, value: str) -> bool:
        return 0 < len(value) <= self.max_length and re.fullmatch(self.pattern, value) is not None


NAME_ID = IdKind(
    "id", NAME_ID_PATTERN, NAME_ID_MAX, "1-64 letters, digits and _ . : - (starting with a letter or digit)"
)
ULID_ID = IdKind("id", r"^[0-9A-Za-z]+$", ULID_LENGTH, "at most 26 letters and digits (a ULID)")
# A child order id is its order's id and a 2-digit number: `<orderId>-<nn>`.
ORDER_ID = IdKind(
    "order id", r"^[0-9A-Za-z]+(-[0-9]{2})?$", ULID_LENGTH + 3, "a ULID (26 letters and digits), or a ULID and -nn"
)
PAYMENT_ID = IdKind("payment id", r"^[0-9A-Za-z]+$", ULID_LENGTH + 2, "at most 28 letters and digits")

# `RF<paymentId>` or `RF<childOrderId>`, then `-2`, `-3`… when taken.
REFUND_ID = IdKind(
    "refund id", r"^RF[0-9A-Za-z]+(-[0-9]{2})?(-[0-9]{1,3})?$", ULID_LENGTH + 9, "RF and a payment or child order id"
)

# `AS<ULID>`: an after-sales case.
CASE_ID = IdKind("case id", r"^[0-9A-Za-z]+$", ULID_LENGTH + 2, "at most 28 letters and digits (AS and a ULID)")

# An order number: `YYMMDD` and 8 digits today (oms.domain.ids.new_order_number); letters are allowed for
# numbers other channels bring.
ORDER_NUMBER = IdKind("order number", r"^[0-9A-Za-z]+$", 32, "1-32 letters and digits")

# A redemption link's token: 32 URL-safe base64 characters (24 random bytes).
REDEMPTION_TOKEN = IdKind("token", r"^[A-Za-z0-9_-]+$", 64, "16-64 letters, digits, _ and -")

PATH_IDS: dict[str, IdKind] = {
    "orderNumber": ORDER_NUMBER,
    "caseId": CASE_ID,
    "orderId": ORDER_ID,
    "paymentId": PAYMENT_ID,
    "refundId": REFUND_ID,
    "productId": ULID_ID,
    "promotionId": ULID_ID,
    "templateId": ULID_ID,
    "anomalyId": ULID_ID,
    "exportId": ULID_ID,
    "stocktakeId": ULID_ID,
    "storeId": NAME_ID,
    "skuId": NAME_ID,
    "warehouseId": NAME_ID,
    "customerId": NAME_ID,  # a JWT subject, or `me`
    "code": NAME_ID,  # a coupon code
    "notificationId": ULID_ID,
    "addressId": ULID_ID,  # a shopper's saved address
    "imageId": ULID_ID,  # a product image
    "categoryId": ULID_ID,  # a store's category
    "freightTemplateId": NAME_ID,  # a store's freight template (named by staff)
    "kind": NAME_ID,  # a risk blacklist (oms.domain.risk.ListKind)
    "token": REDEMPTION_TOKEN,  # a redemption link's token (oms.services.virtual_goods)
}


def path_id_kind(name: str) -> IdKind:
    """The limits of path parameter `name`; an unlisted one gets the strictest generic rule."""
    return PATH_IDS.get(name, NAME_ID)
