"""Masking of personal data (name, phone, email, address) for exports and, later, lists: pure functions.

Each keeps just enough to recognise a record without identifying its person: the first character of a
name, the first three and last four digits of a phone number (the Chinese 138****0000 convention), the
first character of an email's local part and its domain, and an address's city, region and country (the
street, the building and the postal code are hidden). Masking never fails: an empty value stays empty."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MASK = "*"
HIDDEN = "****"


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
