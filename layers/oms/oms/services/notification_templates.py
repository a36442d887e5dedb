"""Notification templates: files under `oms/templates/notifications/<template>/<channel>.<locale>.j2`,
rendered with Jinja2's sandboxed environment (a template can read the event's facts, never call into
Python); HTML email is autoescaped, SMS and inbox text are not (they are not HTML).

- `email.<locale>.j2` defines the blocks `subject` and `body` (HTML, inside the shared layout);
- `inbox.<locale>.j2` defines `title` and `body`;
- `sms.<locale>.j2` is the message itself.

Filters: `money` (`{"amount", "currency"}` in minor units, shown with the currency's exponent and the
locale's style) and `when` (an RFC 3339 time in the locale's style: zh-CN in China time, en in UTC).
Jinja2 is imported when the first message is rendered (the notifications consumer only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oms.domain.clock import parse_rfc3339
from oms.domain.money import Money, minor_unit_exponent
from oms.domain.notifications import Channel, Locale

if TYPE_CHECKING:
    from jinja2.environment import Environment

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "notifications"
CHINA = timezone(timedelta(hours=8), "CST")
SYMBOLS = {"CNY": "¥", "USD": "US$", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "JP¥"}


@dataclass(frozen=True)
class Message:
    subject: str  # the email's subject, the inbox entry's title ("" for SMS)
    body: str  # HTML for email, text otherwise


def template_path(template: str, channel: Channel, locale: Locale) -> Path:
    return TEMPLATES / template / f"{channel.value}.{locale.value}.j2"


def format_money(value: Mapping[str, Any] | None, locale: str) -> str:
    """`{"amount": 13500, "currency": "CNY"}` → `¥135.00` (zh-CN) or `CNY 135.00` (en); JPY has no decimals."""
    if not value:
        return ""
    money = Money.from_dict(value)
    exponent = minor_unit_exponent(money.currency)
    units, minor = divmod(abs(money.amount), 10**exponent)
    digits = f"{'-' if money.amount < 0 else ''}{units:,}" + (f".{minor:0{exponent}d}" if exponent else "")
    if locale == Locale.ZH_CN.value:
        symbol = SYMBOLS.get(money.currency)
        return f"{symbol}{digits}" if symbol else f"{digits} {money.currency}"
    return f"{money.currency} {digits}"


def format_when(value: str | None, locale: str) -> str:
    """An RFC 3339 time: `2026年12月1日 16:00` (China time) for zh-CN, `1 Dec 2026, 08:00 UTC` for en."""
    if not value:
        return ""
    moment = parse_rfc3339(value)
    if locale == Locale.ZH_CN.value:
        local = moment.astimezone(CHINA)
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    utc = moment.astimezone(UTC)
    return f"{utc.day} {utc:%b %Y, %H:%M} UTC"


@cache
def _environment(html: bool) -> Environment:
    from jinja2 import ChainableUndefined, FileSystemLoader
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    # A fact an older event lacks renders empty (ChainableUndefined) rather than failing the send.
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=html,
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, channel: Channel, locale: Locale, facts: Mapping[str, Any]) -> Message:
    """The message of `template` on `channel` in `locale`, from the event's facts."""
    env = _environment(channel is Channel.EMAIL)
    tpl = env.get_template(f"{template}/{channel.value}.{locale.value}.j2")
    lang = locale.value
    context = {
        **facts,
        "locale": lang,
        "money": lambda value: format_money(value, lang),
        "when": lambda value: format_when(value, lang),
    }
    if channel is Channel.SMS:
        return Message("", tpl.render(context).strip())
    ctx = tpl.new_context(context)
    title_block = "subject" if channel is Channel.EMAIL else "title"
    subject = "".join(tpl.blocks[title_block](ctx)).strip()
    if channel is Channel.EMAIL:
        return Message(subject, tpl.render(context).strip())
    return Message(subject, "".join(tpl.blocks["body"](ctx)).strip())
