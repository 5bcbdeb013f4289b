"""Value types and pure helpers: money in 万元, land in 亩, credit codes.

Money is always ``Decimal``: never a float.  These helpers import no model.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

CENT = Decimal("0.01")
MU_IN_SQUARE_METRES = Decimal("666.67")


def to_wan(value: object) -> Decimal | None:
    """Parse an amount in 万元 (or 亩) from user input; thousands separators allowed."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int):
        return Decimal(value).quantize(CENT)
    if isinstance(value, float):
        # Spreadsheet cells arrive as binary floats; repr gives the shortest exact decimal.
        return Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    text = str(value).strip().replace(",", "").replace("，", "")
    if text == "":
        return None
    try:
        return Decimal(text).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError("not a number") from exc


def usd_to_wan_cny(amount_usd_wan: Decimal | None, rate: Decimal | None) -> Decimal | None:
    """万美元 × rate (CNY per USD) = 万元."""
    if amount_usd_wan is None or rate is None:
        return None
    return (amount_usd_wan * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def normalize_credit_code(value: str) -> str:
    return uscc.compact(value or "")


def credit_code_is_valid(value: str) -> bool:
    """True when ``value`` is an 18-character code whose GB 32100-2015 check character holds."""
    try:
        uscc.validate(value)
    except StdnumError:
        return False
    return True


def intensity(amount_wan: Decimal | None, land_mu: Decimal | None) -> Decimal | None:
    """Investment (or tax, revenue) per 亩, in 万元/亩."""
    if amount_wan is None or not land_mu:
        return None
    return (amount_wan / land_mu).quantize(CENT, rounding=ROUND_HALF_UP)
