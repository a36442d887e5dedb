"""Freight template bodies the handler tests share (PUT /stores/{storeId}/freight-templates/{id})."""

from __future__ import annotations

from typing import Any


def cny(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


# By weight: 1 kg 10.00, each further 500 g 4.00; Guangdong 1 kg 6.00 + 2.00 per 500 g, free there from
# 3 pieces; free everywhere from 200.00; Xinjiang and Tibet are not served.
BY_WEIGHT: dict[str, Any] = {
    "name": "By weight",
    "currency": "CNY",
    "basis": "weight",
    "rules": [
        {"first": 1000, "firstFee": cny(1000), "additional": 500, "additionalFee": cny(400)},
        {"regions": ["CN/广东"], "first": 1000, "firstFee": cny(600), "additional": 500, "additionalFee": cny(200)},
    ],
    "freeShipping": [{"minAmount": cny(20000)}, {"regions": ["CN/广东"], "minQuantity": 3}],
    "excludedRegions": ["CN/新疆", "CN/西藏"],
}

# By piece: the first piece 8.00, each further piece 3.00, everywhere.
BY_PIECE: dict[str, Any] = {
    "name": "By piece",
    "currency": "CNY",
    "basis": "piece",
    "rules": [{"first": 1, "firstFee": cny(800), "additional": 1, "additionalFee": cny(300)}],
}
