"""Column kinds: how a sheet's cells become values and back.  Each kind parses a whole column,
with a fast path for cells in their plain form, so that values and messages are the same
either way."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from zhaoshang.core.values import to_wan


class CellError(Exception):
    """A cell's value cannot be used; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- column kinds -------------------------------------------------------------------------


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def fold(text: str) -> str:
    """Key for matching headers and coded values: width-folded, lower-case, no spaces."""
    return unicodedata.normalize("NFKC", text).casefold().replace(" ", "").replace("\u3000", "")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_of(value: Any) -> str:
    """A cell as text: whole numbers lose their '.0', a neutralised formula its apostrophe."""
    if type(value) is str:
        text = value.strip()
        if text[:1] == "'" and text[1:2] in FORMULA_START:
            return text[1:]
        return text
    if type(value) is float and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


Failures = list[tuple[int, str]]  # (index in the column, message)


def is_blank(value: Any) -> bool:
    return value is None or value == "" or (value.__class__ is str and value.isspace())


def parse_each(parse: Callable[[Any], Any], values: Sequence[Any], empty: Any) -> tuple[list[Any], Failures]:
    """A column's cells parsed one by one: blank cells give ``empty``, a cell that fails
    gives ``empty`` and its message."""
    return finish_slow([SLOW] * len(values), values, parse, empty)


def parse_distinct(parse: Callable[[Any], Any], values: Sequence[Any], empty: Any) -> tuple[list[Any], Failures]:
    """A column of few distinct texts (codes, yes/no, unit names) parsed once per distinct
    text.  Anything but text (numbers and dates from a workbook) is parsed cell by cell, so
    that 1, 1.0 and TRUE are never taken for one another."""
    try:
        distinct = set(values)
    except TypeError:  # an unhashable cell: not from a reader, but then plainly
        return parse_each(parse, values, empty)
    if any(value.__class__ is not str for value in distinct):
        return parse_each(parse, values, empty)
    known: dict[str, Any] = {}
    bad: dict[str, str] = {}
    for value in distinct:
        known[value], message = _parse_cell(parse, value, empty)
        if message is not None:
            bad[value] = message
    out = [known[value] for value in values]
    failures = [(index, bad[value]) for index, value in enumerate(values) if value in bad] if bad else []
    return out, failures


class _Slow:
    """Marks a cell that a fast path left to the full parser."""


SLOW: Any = _Slow()


def finish_slow(
    out: list[Any], values: Sequence[Any], parse: Callable[[Any], Any], empty: Any
) -> tuple[list[Any], Failures]:
    """Parse, one by one, the cells that a column's fast path marked ``SLOW``."""
    failures: Failures = []
    for index in [i for i, v in enumerate(out) if v is SLOW]:
        out[index], message = _parse_cell(parse, values[index], empty)
        if message is not None:
            failures.append((index, message))
    return out, failures


def _parse_cell(parse: Callable[[Any], Any], value: Any, empty: Any) -> tuple[Any, str | None]:
    """One cell through its kind's parser: its value and None, or ``empty`` and why (a
    blank cell is ``empty`` without a message)."""
    if is_blank(value):
        return empty, None
    try:
        return parse(value), None
    except CellError as exc:
        return empty, exc.message


class Kind:
    """How a column's cells become values and back."""

    empty: Any = None
    # The same text always gives the same value, and a column holds few distinct texts
    # (codes, yes/no, names of units or places): parse each distinct text once.
    repeats: bool = False

    def bind(self, lookups: Mapping[str, Any]) -> Callable[[Any], Any]:
        """The parser for one import (lookup kinds capture their preloaded tables here)."""
        return self.parse

    def parse(self, value: Any) -> Any:
        raise NotImplementedError

    def parse_column(self, parse: Callable[[Any], Any], values: Sequence[Any]) -> tuple[list[Any], Failures]:
        """Every cell of a column, as ``parse`` (from ``bind``) gives it; blank cells give
        ``empty``.  Kinds override this with a fast path for cells in their plain form,
        leaving every other cell to ``parse``, so that values and messages are the same."""
        if self.repeats:
            return parse_distinct(parse, values, self.empty)
        return parse_each(parse, values, self.empty)

    def to_cell(self, value: Any) -> Any:
        return value

    def options(self, lists: Mapping[str, Sequence[str]]) -> Sequence[str] | None:
        """Values for the template's drop-down list, if the column is coded."""
        return None


class Text(Kind):
    empty = ""

    def __init__(self, max_length: int | None = None) -> None:
        self.max_length = max_length

    def parse(self, value: Any) -> str:
        text = text_of(value)
        if self.max_length is not None and len(text) > self.max_length:
            raise CellError(
                gettext("At most %(max)s characters (this has %(count)s).")
                % {"max": self.max_length, "count": len(text)}
            )
        return text

    def parse_column(self, parse: Callable[[Any], Any], values: Sequence[Any]) -> tuple[list[Any], Failures]:
        if self.repeats or type(self).parse is not Text.parse:
            return super().parse_column(parse, values)
        try:
            out = [value.strip() for value in values]
        except AttributeError:  # numbers or empty cells from a workbook
            return parse_each(parse, values, self.empty)
        # Texts that need more than stripping: a neutralised formula, or one too long.
        limit = math.inf if self.max_length is None else self.max_length
        if max(map(len, out), default=0) > limit or "\n'" in "\n" + "\n".join(out):
            for index, text in enumerate(out):
                if text[:1] == "'" or len(text) > limit:
                    out[index] = SLOW
        return finish_slow(out, values, parse, self.empty)


def _decimal(value: Any) -> Decimal:
    if type(value) is float:
        return Decimal(repr(value))
    if type(value) is int:
        return Decimal(value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError("not a number")
    return Decimal(str(value).strip().replace(",", "").replace("，", ""))


class Money(Kind):
    """An amount in 万元 (or 亩, or a rate): Decimal with fixed places, never negative."""

    def __init__(self, max_digits: int = 16, decimal_places: int = 2) -> None:
        self.limit = Decimal(10) ** (max_digits - decimal_places)
        self.quantum = Decimal(1).scaleb(-decimal_places)
        self.places = decimal_places
        # A plain amount within the limit, at most as precise as kept: no rounding needed.
        whole = rf"[0-9]{{1,{max_digits - decimal_places}}}"
        self._plain = re.compile(whole + (rf"(?:\.[0-9]{{1,{decimal_places}}})?" if decimal_places else ""))

    def parse_column(self, parse: Callable[[Any], Any], values: Sequence[Any]) -> tuple[list[Any], Failures]:
        plain = self._plain.fullmatch
        quantum = self.quantum
        # A workbook's numbers: rounded as the cell parser rounds them, well within the limit.
        below = float(self.limit) / 10
        out = [
            Decimal(value).quantize(quantum)
            if value.__class__ is str and plain(value)
            else Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)
            if value.__class__ is float and 0 <= value < below
            else SLOW
            for value in values
        ]
        return finish_slow(out, values, parse, self.empty)

    def parse(self, value: Any) -> Decimal:
        given = value
        if type(value) is str:
            value = value.strip().removesuffix("万元").removesuffix("万").removesuffix("亩")
        try:
            # Amounts in 万元 go through the project's one parser of money.
            number = (
                to_wan(value) if self.places == 2 else _decimal(value).quantize(self.quantum, rounding=ROUND_HALF_UP)
            )
        except (ValueError, ArithmeticError) as exc:
            raise CellError(gettext("“%(value)s” is not a number.") % {"value": _shown(given)}) from exc
        if number is None or not number.is_finite():
            raise CellError(gettext("“%(value)s” is not a number.") % {"value": _shown(given)})
        if number < 0:
            raise CellError(gettext("The number cannot be negative."))
        if number >= self.limit:
            raise CellError(gettext("The number is too large."))
        return number


_WHOLE_RE = re.compile(r"[+-]?\d+(\.0*)?")


class Integer(Kind):
    def __init__(self, minimum: int = 0, maximum: int = 2_147_483_647) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def parse_column(self, parse: Callable[[Any], Any], values: Sequence[Any]) -> tuple[list[Any], Failures]:
        low, high = self.minimum, self.maximum
        out = [
            int(value)
            if (value.__class__ is str and value.isdecimal() and len(value) < 10)
            or (value.__class__ is float and value.is_integer())
            else value
            if value.__class__ is int
            else SLOW
            for value in values
        ]
        for index, number in enumerate(out):
            if number is not SLOW and not low <= number <= high:
                out[index] = SLOW
        return finish_slow(out, values, parse, self.empty)

    def parse(self, value: Any) -> int:
        if type(value) is int:
            number = value
        elif type(value) is float and value.is_integer():
            number = int(value)
        else:
            text = str(value).strip().replace(",", "").replace("，", "")
            if not _WHOLE_RE.fullmatch(text):
                raise CellError(gettext("“%(value)s” is not a whole number.") % {"value": _shown(value)})
            number = int(Decimal(text))
        if number < self.minimum or number > self.maximum:
            raise CellError(
                gettext("%(value)s is out of range (%(min)s to %(max)s).")
                % {"value": number, "min": self.minimum, "max": self.maximum}
            )
        return number


_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_EXCEL_EPOCH = dt.date(1899, 12, 30)


class Date(Kind):
    """2024-03-11, 2024/3/11, 2024.3.11, 2024年3月11日, 20240311 or an Excel date."""

    repeats = True

    def parse(self, value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if type(value) in (int, float):
            if 1 <= value < 73051:  # Excel serial days, 1900-01-01 .. 2099-12-31
                return _EXCEL_EPOCH + dt.timedelta(days=int(value))
            raise CellError(gettext("“%(value)s” is not a date; write it as 2024-03-11.") % {"value": _shown(value)})
        text = str(value).strip()
        m = _DATE_RE.match(text)
        try:
            if m:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if len(text) == 8 and text.isdigit():
                return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
            if text.isdigit() and 1 <= int(text) < 73051:
                return _EXCEL_EPOCH + dt.timedelta(days=int(text))
        except ValueError:
            pass
        raise CellError(gettext("“%(value)s” is not a date; write it as 2024-03-11.") % {"value": _shown(value)})


_TRUE = frozenset(("是", "yes", "y", "true", "1", "√", "✓", "对"))
_FALSE = frozenset(("否", "no", "n", "false", "0", "×", "✗", "错"))


class Bool(Kind):
    empty = False

    repeats = True

    def parse(self, value: Any) -> bool:
        if value is True or value is False:
            return bool(value)
        if type(value) in (int, float) and value in (0, 1):
            return bool(value)
        key = fold(str(value))
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        raise CellError(gettext("“%(value)s” is neither yes nor no; write 是 or 否.") % {"value": _shown(value)})

    def to_cell(self, value: Any) -> Any:
        return "是" if value else "否"

    def options(self, lists: Mapping[str, Sequence[str]]) -> Sequence[str]:
        return ("是", "否")


class Choice(Kind):
    """A coded value, written with its Chinese name; the code itself, the English label
    and further aliases are understood too."""

    empty = ""
    repeats = True

    def __init__(
        self, choices: Sequence[tuple[str, Any]], names: Mapping[str, str], aliases: Mapping[str, str] | None = None
    ) -> None:
        # ``names``: code -> the Chinese name written in templates and exports.
        self.choices = list(choices)
        self.names = dict(names)
        self.aliases = dict(aliases or {})
        self._table: dict[str, str] | None = None

    def table(self) -> dict[str, str]:
        if self._table is None:
            table: dict[str, str] = {}
            for code, label in self.choices:
                table[fold(code)] = code
                for lang in ("en", "zh-hans"):
                    with translation.override(lang):
                        table.setdefault(fold(str(label)), code)
            for code, name in self.names.items():
                table[fold(name)] = code
            for alias, code in self.aliases.items():
                table[fold(alias)] = code
            self._table = table
        return self._table

    def parse(self, value: Any) -> str:
        code = self.table().get(fold(text_of(value)))
        if code is None:
            raise CellError(
                gettext("“%(value)s” is not one of: %(choices)s.")
                % {"value": _shown(value), "choices": "、".join(self.names.values())}
            )
        return code

    def to_cell(self, value: Any) -> Any:
        return self.names.get(value, value) if value else ""

    def options(self, lists: Mapping[str, Sequence[str]]) -> Sequence[str]:
        return list(self.names.values())


class Lookup(Kind):
    """A reference to another record by a name or code, resolved in a table that the
    resource loads once per import (``lookups[table]``: folded key -> value)."""

    repeats = True

    def __init__(self, table: str, not_found: Any, key: Callable[[str], str] = fold) -> None:
        self.table_name = table
        self.not_found = not_found
        self.key = key

    def bind(self, lookups: Mapping[str, Any]) -> Callable[[Any], Any]:
        table: Mapping[str, Any] = lookups[self.table_name]
        key = self.key
        not_found = self.not_found

        def parse(value: Any) -> Any:
            text = text_of(value)
            found = table.get(key(text))
            if found is None:
                raise CellError(str(not_found) % {"value": _shown(text)})
            return found

        return parse

    def options(self, lists: Mapping[str, Sequence[str]]) -> Sequence[str] | None:
        return lists.get(self.table_name)


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the Chinese header written in templates and exports, the
    English label (through gettext), the field it fills, its kind and whether it is required."""

    key: str
    zh: str
    label: Any
    kind: Kind
    required: bool = False
    help: Any = None
    aliases: tuple[str, ...] = ()
    width: int = 14
    # Shown in exports too (a column that only instructs the import, such as a
    # confirmation, is in the template but not in an export).
    exported: bool = True
