"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in and out (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# NUMERIC(18, 6): twelve digits before the point. The SQLite text column takes anything, so
# the same bound is kept there by hand: both stores hold, and give back, the same amounts.
MONEY_LIMIT = Decimal(10) ** 12
# Wide enough for any amount under the limit with the decimals a store keeps: never rounds.
_EXACT = Context(prec=40)
NOT_A_NUMBER = Decimal("NaN")


class Money(TypeDecorator[Decimal]):
    """Exact decimals: NUMERIC on PostgreSQL, text on SQLite (which has no exact decimal).

    Reading never raises, so one bad row cannot stop a whole query: a stored value that is
    not a number (text another tool wrote on SQLite) reads as NaN, and one beyond the limit
    as itself; `money_problem` tells the loader which values it must refuse. Writing
    refuses what could not be read back, the same way on both stores."""

    impl = Numeric(18, 6)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, 6))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        problem = money_problem(value)
        if problem:
            raise ValueError(f"amount {problem}")
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            return NOT_A_NUMBER
        return amount if money_problem(amount) else plain_decimal(amount)


def money_problem(value: Decimal) -> str | None:
    """Why an amount cannot be held by the money columns, or None."""
    if value.is_nan():
        return "is not a number"
    if not value.is_finite():
        return f"{value} is not a finite number"
    if value.copy_abs() >= MONEY_LIMIT:
        return f"{value} is beyond the store's limit of {MONEY_LIMIT:,}"
    return None


def plain_decimal(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent form: 50.000000 -> 50, 1.250 -> 1.25.
    For amounts `money_problem` accepts (the exact context then never rounds)."""
    normal = value.normalize(_EXACT)
    return normal.quantize(Decimal(1), context=_EXACT) if normal.as_tuple().exponent > 0 else normal
