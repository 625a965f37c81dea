"""Rules a campaign-set document must satisfy before anything is written: pure, no I/O.

Each rule takes plain values and either returns the converted value or raises `Invalid`
with a reason written for the person who wrote the file; cross-field rules return the
list of (field, reason) they found. The importers (`adsync_pipeline.imports`) apply them
and add where each problem is. Limits are Reddit's where Reddit states them, so a
document that passes here is not rejected later for something knowable now.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import urlsplit

from adsync_pipeline.domain.model import BidStrategy, BudgetType, Objective

NAME_MIN = 3
NAME_MAX = 500
TEXT_MAX = 500
URL_MAX = 5000
KEY_MAX = 200
ACCOUNT_ID_MAX = 64
KEYWORDS_PER_AD_GROUP_MAX = 1000
CPM_MIN = Decimal("3.50")
CPM_MAX = Decimal("100")
# Upper bounds on money, in the set's currency. Far above any real campaign, far below what
# the stores hold (NUMERIC(18,6): under 10^12) and what platforms take (int64 micros on
# Reddit and Google, int64 minor units on Meta): an amount that passes is stored and read
# back exactly and is never a platform overflow.
BUDGET_MAX = Decimal("1000000000.00")
BID_MAX = Decimal("1000000.00")
# Tabs and line breaks are text in a description; in a name, key or URL they are a forged
# line of output or a different identity that looks the same.
# Never accepted in text: control characters (Unicode category Cc; NUL included, which
# PostgreSQL cannot store), lone surrogates (Cs: not encodable as UTF-8) and the line and
# paragraph separators (Zl, Zp). A regex, not a loop per character: it runs on every text
# field of 200,000-ad imports.
_FORBIDDEN_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_FORBIDDEN_IN_MULTILINE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]"
)
PLATFORMS = ("reddit",)
REDDIT_OBJECTIVES = (
    "APP_INSTALLS",
    "CATALOG_SALES",
    "CLICKS",
    "CONVERSIONS",
    "IMPRESSIONS",
    "LEAD_GENERATION",
    "VIDEO_VIEWABLE_IMPRESSIONS",
)
_CURRENCY = re.compile(r"[A-Z]{3}")
# An http(s) URL with a plain ASCII host, which `urlsplit` would accept: checked without it,
# as it costs more than the rest of an ad's rules together.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.:-]+(?:[/?#]|\Z)", re.IGNORECASE)
_DECIMAL_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
E = TypeVar("E", bound=StrEnum)

Issue = tuple[str, str]
"""(field, reason) of a cross-field rule; the field is relative to the entity checked."""


class Invalid(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _character_problem(text: str, multiline: bool) -> str | None:
    """Why `text` holds a character no text field accepts (multiline: tabs and line breaks
    are fine), or None."""
    found = (_FORBIDDEN_IN_MULTILINE if multiline else _FORBIDDEN_CHARACTER).search(text)
    if found is None:
        return None
    char = found.group()
    what = "lone surrogate" if "\ud800" <= char <= "\udfff" else "control character"
    allowed = " (tabs and line breaks are)" if multiline else ""
    return f"must not contain a {what}{allowed}: U+{ord(char):04X} at character {found.start() + 1}"


def as_text(
    value: Any, *, max_len: int = TEXT_MAX, min_len: int = 1, multiline: bool = False
) -> str:
    """A string within the length bounds; control characters only where `multiline` lets
    tabs and line breaks through."""
    if not isinstance(value, str):
        raise Invalid(f"must be a string (got {_shown(value)})")
    problem = _character_problem(value, multiline)
    if problem:
        raise Invalid(problem)
    if len(value.strip()) < min_len:
        raise Invalid(
            "must not be empty"
            if min_len == 1
            else f"must be at least {min_len} characters (got {len(value)})"
        )
    if len(value) > max_len:
        raise Invalid(f"must be at most {max_len} characters (got {len(value)})")
    return value


def as_name(value: Any) -> str:
    return as_text(value, min_len=NAME_MIN, max_len=NAME_MAX)


def as_key(value: Any) -> str:
    key = as_text(value, max_len=KEY_MAX)
    if key != key.strip():
        raise Invalid(f"must not start or end with spaces (got {_shown(key)})")
    return key


def as_url(value: Any) -> str:
    url = as_text(value, max_len=URL_MAX)
    if _PLAIN_URL.match(url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed host, e.g. an unclosed "[" of an IPv6 address
        raise Invalid(f"must be an http(s) URL (got {_shown(url)})") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Invalid(f"must be an http(s) URL (got {_shown(url)})")
    return url


def as_enum(enum: type[E], value: Any) -> E:
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(member.value for member in enum)
        raise Invalid(f"must be one of {known} (got {_shown(value)})") from None


def as_objective(value: Any) -> str:
    """Our portable objectives (lower case) or Reddit's own (upper case), kept as written."""
    ours = {o.value for o in Objective}
    if isinstance(value, str):
        # Exact spelling first: "conversions" is ours, "CONVERSIONS" is Reddit's.
        if value in ours or value in REDDIT_OBJECTIVES:
            return value
        if value.lower() in ours:
            return value.lower()
        if value.upper() in REDDIT_OBJECTIVES:
            return value.upper()
    known = ", ".join([*ours, *REDDIT_OBJECTIVES])
    raise Invalid(f"must be one of {known} (got {_shown(value)})")


def as_platform(value: Any) -> str:
    if value not in PLATFORMS:
        raise Invalid(f"must be one of {', '.join(PLATFORMS)} (got {_shown(value)})")
    return str(value)


def as_money(value: Any, maximum: Decimal) -> Decimal:
    """Positive, at most `maximum`, at most 2 decimals. A number, not text that looks like
    one: JSON numbers arrive as Decimal (the parser reads every number so) and CSV cells
    are turned into numbers by the CSV reader."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise Invalid(f"must be a number (got {_shown(value)})")
    amount = Decimal(value)
    if not amount.is_finite():
        raise Invalid(f"must be a number (got {_shown(value)})")
    if amount <= 0:
        raise Invalid(f"must be greater than 0 (got {_shown(value)})")
    # Before any arithmetic: a huge exponent would overflow the decimal context.
    if amount > maximum:
        raise Invalid(f"must be at most {maximum} (got {_shown(value)})")
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise Invalid(f"must have at most 2 decimals (got {_shown(value)})")
    return amount


def as_budget_amount(value: Any) -> Decimal:
    return as_money(value, BUDGET_MAX)


def as_bid_amount(value: Any) -> Decimal:
    return as_money(value, BID_MAX)


def as_decimal_text(text: str) -> Decimal | str:
    """A number written as text (a CSV cell) as a Decimal; anything else (Decimal would also
    take "NaN", "1_000" or non-ASCII digits) as is, for the field's rule to reject."""
    return Decimal(text) if _DECIMAL_TEXT.fullmatch(text) else text


def as_currency(value: Any) -> str:
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise Invalid(f"must be a 3-letter upper-case currency code (got {_shown(value)})")
    return value


def as_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise Invalid(f"must be an ISO-8601 date-time string (got {_shown(value)})")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"must be an ISO-8601 date-time (got {_shown(value)})") from None
    if moment.tzinfo is None:
        raise Invalid(f"must include a time zone, e.g. Z or +02:00 (got {_shown(value)})")
    return moment


def as_text_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise Invalid(f"must be a list of strings (got {_shown(value)})")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise Invalid(f"must contain only non-empty strings (got {_shown(item)})")
        problem = _character_problem(item, multiline=False)
        if problem:
            raise Invalid(f"item {_shown(item)} {problem}")
    return tuple(value)


def check_schedule(
    budget_type: BudgetType | None, start: datetime | None, end: datetime | None
) -> list[Issue]:
    issues: list[Issue] = []
    if budget_type is BudgetType.LIFETIME and end is None:
        issues.append(("end_time", "is required with a lifetime budget"))
    if start is not None and end is not None and end <= start:
        issues.append(("end_time", f"must be after start_time ({start.isoformat()})"))
    return issues


def check_bidding(strategy: BidStrategy, amount: Decimal | None) -> list[Issue]:
    if strategy is BidStrategy.AUTOMATIC:
        if amount is not None:
            return [("amount", "must be omitted with automatic bidding")]
        return []
    if amount is None:
        return [("amount", f"is required with {strategy.value} bidding")]
    if strategy is BidStrategy.MANUAL_CPM and not CPM_MIN <= amount <= CPM_MAX:
        return [("amount", f"CPM bid must be between {CPM_MIN} and {CPM_MAX} (got {amount})")]
    return []


def check_display_url(display_url: str, final_url: str) -> str | None:
    """Reddit requires the display URL on the destination's domain (a parent domain is fine)."""
    shown = display_url if "://" in display_url else f"//{display_url}"
    display_host = (urlsplit(shown).hostname or "").removeprefix("www.")
    final_host = (urlsplit(final_url).hostname or "").removeprefix("www.")
    if display_host and (final_host == display_host or final_host.endswith("." + display_host)):
        return None
    return f"must be on the final_url's domain {final_host!r} (got {_shown(display_url)})"


def duplicates(keys: Sequence[str | None]) -> dict[int, int]:
    """Index of every repeated key -> index of its first occurrence."""
    first: dict[str, int] = {}
    repeated: dict[int, int] = {}
    for index, key in enumerate(keys):
        if key is None:
            continue
        if key in first:
            repeated[index] = first[key]
        else:
            first[key] = index
    return repeated
