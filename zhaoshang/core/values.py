"""Value types and pure helpers: money in 万元, land in 亩, credit codes.

Money is always ``Decimal``: never a float.  These helpers import no model.
"""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from operator import mul

from django.utils.translation import gettext as _
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

CENT = Decimal("0.01")
MU_IN_SQUARE_METRES = Decimal("666.67")


def to_wan(value: object) -> Decimal | None:
    """Parse an amount in 万元 (or 亩) from user input; thousands separators allowed.

    Raises ``ValueError`` for anything that is not a finite amount (text, NaN, infinity,
    a value too large to hold), so an import reports it instead of storing it."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        # Spreadsheet cells arrive as binary floats; repr gives the shortest exact decimal.
        number = _decimal(repr(value))
    else:
        text = str(value).strip().replace(",", "").replace("，", "")
        if text == "":
            return None
        number = _decimal(text)
    if not number.is_finite():
        raise ValueError("not a number")
    try:
        return number.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # more digits than a Decimal context holds
        raise ValueError("not a number") from exc


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError("not a number") from exc


def usd_to_wan_cny(amount_usd_wan: Decimal | None, rate: Decimal | None) -> Decimal | None:
    """万美元 × rate (CNY per USD) = 万元."""
    if amount_usd_wan is None or rate is None:
        return None
    return (amount_usd_wan * rate).quantize(CENT, rounding=ROUND_HALF_UP)


# GB 32100-2015's characters and weights, as python-stdnum's ``cn.uscc`` has them: used only
# to accept, at once, a code already in its plain form whose check character holds.
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUES = bytes(_ALPHABET.index(chr(b)) if chr(b) in _ALPHABET else 255 for b in range(256))


def normalize_credit_code(value: str) -> str:
    """A credit code as the registry keeps it: full-width characters (as a Chinese input
    method types them) made plain, spaces and dashes dropped, upper case."""
    if len(value) == 18 and value.isascii() and value.isalnum() and value.isupper():
        return value  # the plain form already (the usual cell of a sheet)
    return uscc.compact(unicodedata.normalize("NFKC", value or ""))


def plain_valid_credit_code(code: str) -> bool:
    """A code in its plain form whose check character holds (the GB 32100-2015 computation
    python-stdnum makes, on the code's bytes at once: an import checks 100,000 codes)."""
    if len(code) != 18 or not code.isascii() or not code[:8].isdigit():
        return False
    values = code.encode().translate(_VALUES)
    if 255 in values:
        return False
    return bool(values[17] == (31 - sum(map(mul, values[:17], _WEIGHTS)) % 31) % 31)


def credit_code_problem(code: str) -> str | None:
    """Why ``code`` (already normalised) is not a unified social credit code, or None when it
    is one: the one check of GB 32100-2015 for every form, import and service.

    python-stdnum decides, and what it refuses is said here in the user's language.  A code
    in its plain form whose check character holds is accepted without the library's own
    clean-up (three passes over the text per code, a fifth of a 100,000-row import); every
    other code, and every refusal, is stdnum's verdict.  A test holds the two to the same
    answer on every kind of code."""
    if plain_valid_credit_code(code):
        return None
    try:
        uscc.validate(code)
    except InvalidLength:
        return _("%(code)s has %(count)s characters; a unified social credit code has 18.") % {
            "code": code,
            "count": len(code),
        }
    except InvalidChecksum:
        return _(
            "%(code)s is not a valid unified social credit code: its check character does not match "
            "(GB 32100-2015); check for a mistyped character."
        ) % {"code": code}
    except StdnumError:
        return _(
            "%(code)s is not a valid unified social credit code: the first 8 characters are digits and the rest "
            "digits or capital letters other than I, O, S, V and Z (GB 32100-2015)."
        ) % {"code": code}
    return None


def credit_code_is_valid(value: str) -> bool:
    """True when ``value`` is an 18-character code whose GB 32100-2015 check character holds."""
    return credit_code_problem(normalize_credit_code(value)) is None


def intensity(amount_wan: Decimal | None, land_mu: Decimal | None) -> Decimal | None:
    """Investment (or tax, revenue) per 亩, in 万元/亩."""
    if amount_wan is None or not land_mu:
        return None
    return (amount_wan / land_mu).quantize(CENT, rounding=ROUND_HALF_UP)
