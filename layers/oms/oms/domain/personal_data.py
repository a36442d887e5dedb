"""Personal data (name, phone, email, address): the one masking rule (exports, order reads), who sees an
order's contact details unmasked, and what erasure leaves of them. Pure functions.

Each keeps just enough to recognise a record without identifying its person: the first character of a
name, the first three and last four digits of a phone number (the Chinese 138****0000 convention), the
first character of an email's local part and its domain, and an address's city, region and country (the
street, the building and the postal code are hidden). Masking never fails: an empty value stays empty."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Any

from oms.domain.permissions import Actor, Permission, Role

MASK = "*"
HIDDEN = "****"
ERASED = "[erased]"


def mask_name(name: str | None) -> str:
    """'李雷' → '李*', 'Li Lei' → 'L*****'."""
    if not name:
        return ""
    text = name.strip()
    return text[:1] + MASK * max(len(text) - 1, 1)


def mask_phone(phone: str | None) -> str:
    """Digits masked in place, keeping the first three and last four ('+86 138 0000 1234' → '+86 1** **** 1234');
    a number of fewer than eight digits keeps only its last two."""
    if not phone:
        return ""
    digits = sum(c.isdigit() for c in phone)
    keep_head, keep_tail = (3, 4) if digits >= 8 else (0, 2)
    out: list[str] = []
    seen = 0
    for char in phone:
        if char.isdigit():
            out.append(char if seen < keep_head or seen >= digits - keep_tail else MASK)
            seen += 1
        else:
            out.append(char)
    return "".join(out)


def mask_email(email: str | None) -> str:
    """'lilei@example.com' → 'l****@example.com'; a value without '@' is hidden whole."""
    if not email:
        return ""
    local, at, domain = email.partition("@")
    if not at:
        return HIDDEN
    return f"{local[:1]}{HIDDEN}@{domain}"


def address_text(address: Mapping[str, Any] | None) -> str:
    """A shipping address on one line: street lines, city, region, postal code, country."""
    if not address:
        return ""
    parts = (address.get(k) for k in ("line1", "line2", "city", "region", "postalCode", "country"))
    return ", ".join(str(p) for p in parts if p)


def mask_address(address: Mapping[str, Any] | None) -> str:
    """The address on one line with its street lines and postal code hidden: '****, Shanghai, CN'."""
    if not address:
        return ""
    parts = [HIDDEN, *(str(address[k]) for k in ("city", "region", "country") if address.get(k))]
    return ", ".join(parts)


# ---------------------------------------------------------------- an order's contact details
class ContactField(StrEnum):
    """What support may ask to reveal of an order's shipping address (orders hold no email: the shopper's
    email is in their account and notification preferences)."""

    NAME = "name"
    PHONE = "phone"
    ADDRESS = "address"  # street lines and postal code (city, region and country are never masked)


ADDRESS_LINES = ("line1", "line2", "postalCode")


def mask_shipping_address(address: Mapping[str, Any] | None, keep: Collection[ContactField] = ()) -> Any:
    """A shipping address with its personal parts masked by the rule above (the fields in `keep` shown
    as they are): name → first character, phone → first three and last four digits, street lines and
    postal code hidden; city, region and country stay."""
    if not address:
        return address
    masked = dict(address)
    if ContactField.NAME not in keep:
        masked["name"] = mask_name(address.get("name"))
    if ContactField.PHONE not in keep:
        masked["phone"] = mask_phone(address.get("phone"))
    if ContactField.ADDRESS not in keep:
        for part in ADDRESS_LINES:
            if address.get(part):
                masked[part] = HIDDEN
    return masked


def pseudonymised_address(address: Mapping[str, Any] | None) -> dict[str, Any]:
    """What erasure leaves of a shipping address: no name, phone, street or postal code; the city, region
    and country that reports and tax records count by."""
    kept = {k: address[k] for k in ("city", "region", "country") if address and address.get(k)}
    return {"name": ERASED, "phone": "", "line1": ERASED, **kept}


class ContactAccess(StrEnum):
    OWN = "own"  # the shopper's own order: unmasked, nothing logged
    FULL = "full"  # staff who need the details for their work: unmasked, the read logged
    MASKED = "masked"


# While the warehouse has something of the order to put on a parcel.
SHIPPING_STATUSES = frozenset({"PAID", "PARTIALLY_SHIPPED", "SHIPPED"})


def contact_access(actor: Actor, *, customer_id: str, store_ids: Collection[str], status: str) -> ContactAccess:
    """Who sees an order's contact details unmasked:

    - the shopper who placed it (their own data);
    - admin (`personal-data:read`);
    - staff who ship it (`personal-data:ship-to`): the warehouse while the order has goods to ship
      (PAID, PARTIALLY_SHIPPED, SHIPPED), merchant staff on their own stores' orders (they ship them);
    - everyone else (support, finance, the warehouse once shipped) sees them masked; support may reveal
      them one order at a time (`personal-data:reveal`, audited).
    """
    if actor.subject == customer_id and actor.can(Permission.ORDER_READ_OWN):
        return ContactAccess.OWN
    if actor.can(Permission.PERSONAL_DATA_READ):
        return ContactAccess.FULL
    if actor.can(Permission.PERSONAL_DATA_SHIP_TO):
        if Role.MERCHANT in actor.roles:
            if actor.stores & set(store_ids):
                return ContactAccess.FULL
        elif status in SHIPPING_STATUSES:
            return ContactAccess.FULL
    return ContactAccess.MASKED


# Bounds of the retention setting: personal data of closed orders is kept 30 days to 10 years.
MIN_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 3650
DEFAULT_RETENTION_DAYS = 730
# Orders whose personal data may be erased (erasure on request, the retention job): done with.
CLOSED_STATUSES = frozenset({"COMPLETED", "CANCELLED", "CLOSED"})
