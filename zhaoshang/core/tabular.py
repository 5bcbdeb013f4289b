"""Excel and CSV import and export: upload checks, readers, column kinds, the import run.

The engine knows no domain app.  Each app describes its sheet as a ``Resource`` (columns,
how rows match existing records, how they are written) and registers it by name with
``register_resource``; the views and the benchmark only name the resource.

An import runs in four steps, each able to stop it with a message for the user:

1. ``check_upload`` looks at the raw bytes before anything parses them: empty, too large,
   not a workbook or CSV (by magic bytes, not by the file name), an old .xls, a workbook with
   macros, or a zip bomb (read from the zip directory, nothing is inflated).
2. The sheet is read (``python-calamine`` for .xlsx, the ``csv`` module for CSV in UTF-8 with
   or without BOM, or GB18030/GBK as Chinese Excel saves it) and the header row is matched
   by its Chinese headers (the English label or the field name are accepted too).
3. Every cell of every row is parsed by its column's kind, then the resource checks the rows
   together (matching records, duplicates, permissions, business rules).  Errors are
   collected per row and column, never stopping at the first.
4. Only when no row has an error, the resource writes everything in one transaction, in
   bulk, with the change log attributed to the importing user and marked as an import.

Bulk writes go through ``insert_rows`` / ``update_rows`` (COPY on PostgreSQL, one
``executemany`` or ``json_each`` insert per batch on SQLite) rather than ``bulk_create``:
building a model instance per row cost more than the rest of an import of 100,000 rows.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import io
import json
import math
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import repeat
from operator import itemgetter, or_
from typing import Any, ClassVar, cast

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, models, transaction
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.audit import audit_context, given_values, write_change_rows
from zhaoshang.core.bulk import BATCH, checkpoint_after, insert_rows, pipelined_inserts, sqlite_has_json
from zhaoshang.core.models import ChangeSource
from zhaoshang.core.scoping import Scope, scope_for
from zhaoshang.core.values import to_wan

# -- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: the row number as the sheet shows it, the column header, the message."""

    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    """What an import found (preview) or did (commit)."""

    ok: bool = False
    created: int = 0
    updated: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None
    committed: bool = False
    unchanged: int = 0
    headers: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # The first rows as read, for the preview: (row number, action, cell texts).
    preview: list[tuple[int, str, list[str]]] = field(default_factory=list)


class FileRefused(Exception):
    """The whole file is refused; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CellError(Exception):
    """A cell's value cannot be used; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- upload checks ------------------------------------------------------------------------

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An honest spreadsheet part compresses 5 to 30 times; a bomb thousands of times.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_FROM_BYTES = 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb")
_BINARY_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x7fELF",
)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}"


def check_upload(data: bytes, filename: str) -> str:
    """Decide from the bytes whether the file may be parsed; return "xlsx" or "csv".

    Raises ``FileRefused`` with the reason.  Nothing here inflates or parses the content:
    a zip bomb is recognised from the sizes its own directory declares."""
    size = len(data)
    if size == 0:
        raise FileRefused(gettext("The file is empty."))
    limit = settings.ZS_UPLOAD_MAX_BYTES
    if size > limit:
        raise FileRefused(
            gettext("The file is %(size)s MB; the limit is %(limit)s MB.") % {"size": _mb(size), "limit": _mb(limit)}
        )
    head = data[:8]
    if head.startswith(ZIP_MAGIC):
        _check_workbook_zip(data)
        return "xlsx"
    if head.startswith(OLE2_MAGIC):
        raise FileRefused(
            gettext(
                "Excel 97-2003 workbooks (.xls) are not accepted; save the file as an Excel workbook (.xlsx) and upload it again."
            )
        )
    if filename.lower().endswith(WORKBOOK_SUFFIXES) or head.startswith(_BINARY_MAGIC):
        raise FileRefused(gettext("The file is not an Excel workbook (.xlsx) or a CSV file."))
    sample = data[:4096]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(gettext("The file is not an Excel workbook (.xlsx) or a CSV file."))
    return "csv"


def _check_workbook_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            content_types = b""
            names = {i.filename for i in infos}
            if "[Content_Types].xml" in names:
                info = archive.getinfo("[Content_Types].xml")
                # The content-type part is tiny in a real workbook; don't inflate a big one.
                if info.file_size <= 1024 * 1024:
                    content_types = archive.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, ValueError) as exc:
        raise FileRefused(gettext("The workbook could not be read: it is damaged or not a real .xlsx file.")) from exc
    if len(infos) > MAX_ZIP_ENTRIES:
        raise FileRefused(gettext("The workbook could not be read: it is damaged or not a real .xlsx file."))
    lowered = {n.lower() for n in names}
    if (
        any(n.endswith("vbaproject.bin") for n in lowered)
        or b"macroEnabled" in content_types
        or b"vbaProject" in content_types
    ):
        raise FileRefused(
            gettext(
                "The workbook contains macros, which are not accepted; save it as an Excel workbook (.xlsx) "
                "without macros and upload it again."
            )
        )
    total = sum(i.file_size for i in infos)
    unzipped_limit = settings.ZS_UPLOAD_MAX_UNZIPPED_BYTES
    if total > unzipped_limit:
        raise FileRefused(
            gettext(
                "The workbook would unpack to %(size)s MB, more than the limit of %(limit)s MB; it is refused as a possible zip bomb."
            )
            % {"size": _mb(total), "limit": _mb(unzipped_limit)}
        )
    for info in infos:
        if info.file_size >= RATIO_CHECK_FROM_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_COMPRESSION_RATIO:
                raise FileRefused(
                    gettext(
                        "The workbook is compressed %(ratio)s times, far more than any real spreadsheet; it is refused as a possible zip bomb."
                    )
                    % {"ratio": int(ratio)}
                )
    if "xl/workbook.xml" not in lowered or b"spreadsheetml" not in content_types:
        raise FileRefused(gettext("The file is not an Excel workbook (.xlsx) or a CSV file."))


# -- readers ------------------------------------------------------------------------------


def _too_many_rows(count: int) -> FileRefused:
    return FileRefused(
        gettext("The file has %(rows)s rows; at most %(limit)s rows can be imported at once.")
        % {"rows": count, "limit": settings.ZS_IMPORT_MAX_ROWS}
    )


def read_xlsx(data: bytes) -> list[list[Any]]:
    """The first visible worksheet as a list of rows, positions kept (row 0 is sheet row 1)."""
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    try:
        with CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
            index = 0
            for i, meta in enumerate(book.sheets_metadata):
                if meta.typ == SheetTypeEnum.WorkSheet and meta.visible == SheetVisibleEnum.Visible:
                    index = i
                    break
            sheet = book.get_sheet_by_index(index)
            end = sheet.end
            # Header row plus the limit; the check comes before the cells are converted.
            if end is not None and end[0] > settings.ZS_IMPORT_MAX_ROWS + 20:
                raise _too_many_rows(end[0])
            return sheet.to_python(skip_empty_area=False)
    except FileRefused:
        raise
    except (CalamineError, ValueError, OSError) as exc:
        raise FileRefused(gettext("The workbook could not be read: it is damaged or not a real .xlsx file.")) from exc
    except Exception as exc:  # calamine raises its own exception types for every broken part
        raise FileRefused(gettext("The workbook could not be read: it is damaged or not a real .xlsx file.")) from exc


def decode_text(data: bytes) -> str:
    """CSV text: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of
    the GBK that Chinese Excel writes)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileRefused(gettext("The CSV file is neither UTF-8 nor GBK/GB18030 text.")) from exc


def read_csv(data: bytes) -> list[list[Any]]:
    """All records of a CSV file; the delimiter (comma, tab or semicolon) is taken from the
    first line."""
    try:
        text = decode_text(data)
    except UnicodeDecodeError as exc:
        raise FileRefused(gettext("The CSV file is neither UTF-8 nor GBK/GB18030 text.")) from exc
    first = text[: text.find("\n")] if "\n" in text else text
    delimiter = max((",", "\t", ";"), key=first.count)
    if first.count(delimiter) == 0:
        delimiter = ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise FileRefused(gettext("The CSV file could not be read: %(error)s") % {"error": exc}) from exc
    if len(rows) > settings.ZS_IMPORT_MAX_ROWS + 20:
        raise _too_many_rows(len(rows) - 1)
    return rows


# -- column kinds -------------------------------------------------------------------------


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def fold(text: str) -> str:
    """Key for matching headers and coded values: width-folded, lower-case, no spaces."""
    return unicodedata.normalize("NFKC", text).casefold().replace(" ", "").replace("\u3000", "")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text_of(value: Any) -> str:
    """A cell as text: whole numbers lose their '.0', a neutralised formula its apostrophe."""
    if type(value) is str:
        text = value.strip()
        if text[:1] == "'" and text[1:2] in _FORMULA_START:
            return text[1:]
        return text
    if type(value) is float and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


Failures = list[tuple[int, str]]  # (index in the column, message)


def _blank(value: Any) -> bool:
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
    if _blank(value):
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
        text = _text_of(value)
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
        code = self.table().get(fold(_text_of(value)))
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
            text = _text_of(value)
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


# -- resources ----------------------------------------------------------------------------


@dataclass
class SheetRow:
    """One data row after its cells were parsed: values of the columns present in the file
    that parsed without error; ``failed`` names the columns that did not."""

    number: int
    values: dict[str, Any]
    failed: set[str]
    cells: list[Any]


@dataclass
class Plan:
    """What a resource would write: an action per row number, plus its own data."""

    actions: dict[int, str] = field(default_factory=dict)
    data: Any = None
    unchanged: int = 0

    @property
    def creates(self) -> int:
        return sum(1 for a in self.actions.values() if a == CREATE)

    @property
    def updates(self) -> int:
        return sum(1 for a in self.actions.values() if a == UPDATE)


CREATE = "create"
UPDATE = "update"
# Rows checked (and, for a resource with ``key_columns``, written) at a time by an import.
PART_ROWS = 5_000

Report = Callable[[int, str, str], None]


class Resource:
    """A sheet's columns and what its rows mean; subclassed by each domain app."""

    name: ClassVar[str]
    model: ClassVar[type[models.Model]]
    columns: ClassVar[tuple[Column, ...]]
    title: ClassVar[Any]
    list_url: ClassVar[str]
    sheet_title: ClassVar[str] = "数据"

    def lookups(self, *, user: Any) -> dict[str, Any]:
        """Tables that ``Lookup`` columns resolve in, loaded once per import."""
        return {}

    def template_lists(self, *, user: Any) -> dict[str, Sequence[str]]:
        """Drop-down values of ``Lookup`` columns for the template, by table name."""
        return {}

    # How an import runs (``run_import``): the cells of ``key_columns`` (None: of every
    # column) are parsed for the whole sheet, and ``plan`` decides what each row means
    # from them (matches, duplicates, everything that needs the whole file or the
    # database).  Then, ``PART_ROWS`` rows at a time, the other cells are parsed and
    # ``plan_part`` checks those rows; while no row has failed, ``write_part`` writes what
    # they add, so the database stores one part while the next is checked.  ``write``
    # finishes.  A resource whose ``plan`` needs every value keeps the default: all of
    # its checking happens in ``plan`` and all of its writing in ``write``.
    key_columns: ClassVar[frozenset[str] | None] = None

    def plan(self, rows: list[SheetRow], *, present: frozenset[str], user: Any, scope: Scope, report: Report) -> Plan:
        raise NotImplementedError

    def plan_part(
        self, plan: Plan, rows: Sequence[SheetRow], *, present: frozenset[str], user: Any, scope: Scope, report: Report
    ) -> None:
        """Check a part of the rows, now with every value."""

    def write_part(self, plan: Plan, *, user: Any) -> None:
        """Write what the parts checked since the last call add (inside the import's
        transaction and ``core.bulk.pipelined_inserts``: no reads here)."""

    def write(self, plan: Plan, *, user: Any) -> None:
        raise NotImplementedError

    def export_rows(self, queryset: Any) -> Iterable[Sequence[Any]]:
        """One sequence per record, in the order of ``columns``."""
        raise NotImplementedError

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


_RESOURCES: dict[str, Resource] = {}


def register_resource(name: str, resource: Resource) -> None:
    """Make a resource importable and exportable under ``name`` (called from apps' ready)."""
    _RESOURCES[name] = resource


def get_resource(name: str) -> Resource:
    try:
        return _RESOURCES[name]
    except KeyError as exc:
        raise LookupError(f"no import resource named {name!r}") from exc


# -- header matching ----------------------------------------------------------------------


def _header_aliases(resource: Resource) -> dict[str, Column]:
    table: dict[str, Column] = {}
    for col in resource.columns:
        names = [col.zh, col.key, *col.aliases]
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                names.append(str(col.label))
        for name in names:
            table.setdefault(fold(name).strip("*＊"), col)
    return table


def _match_header(resource: Resource, table: list[list[Any]]) -> tuple[int, dict[int, Column], list[str]]:
    """Find the header row among the first rows; return its index, the mapped columns by
    position and the headers that mean nothing here."""
    aliases = _header_aliases(resource)
    best_index, best_hits = -1, 0
    for index, row in enumerate(table[:10]):
        hits = sum(1 for cell in row if isinstance(cell, str) and fold(cell).strip("*＊") in aliases)
        if hits > best_hits:
            best_index, best_hits = index, hits
    if best_index < 0:
        raise FileRefused(
            gettext("No header row with known column names was found; download the template to see them.")
        )
    mapping: dict[int, Column] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    for pos, cell in enumerate(table[best_index]):
        text = _text_of(cell) if cell not in (None, "") else ""
        if not text:
            continue
        col = aliases.get(fold(text).strip("*＊"))
        if col is None:
            ignored.append(text)
            continue
        if col.key in seen:
            raise FileRefused(gettext("The column %(column)s appears more than once.") % {"column": text})
        seen[col.key] = text
        mapping[pos] = col
    missing = [c.zh for c in resource.columns if c.required and c.key not in seen]
    if missing:
        raise FileRefused(gettext("Required columns are missing: %(columns)s.") % {"columns": "、".join(missing)})
    return best_index, mapping, ignored


# -- the import run -----------------------------------------------------------------------


class _Body:
    """The data rows under the header: blank rows dropped, cells parsed on demand, a group of
    columns at a time, into ``SheetRow`` values."""

    def __init__(
        self, table: list[list[Any]], header_index: int, mapping: dict[int, Column], lookups: Mapping[str, Any]
    ) -> None:
        body = table[header_index + 1 :]
        need = max(mapping) + 1 if mapping else 0
        if any(len(cells) < need for cells in body):
            body = [cells + [""] * (need - len(cells)) if len(cells) < need else cells for cells in body]
        count = len(body)
        filled = [False] * count
        all_filled = count == 0
        for pos in mapping:
            if all_filled:
                break
            # A row is blank when none of its mapped cells holds anything (Excel often
            # keeps formatted empty rows); usually the first column settles every row.
            filled = list(map(or_, filled, [not _blank(cells[pos]) for cells in body]))
            all_filled = all(filled)
        first = header_index + 2
        self.kept = [(first + index, cells) for index, cells in enumerate(body) if filled[index]]
        self.headers = {pos: _header_text(table, header_index, pos) for pos in mapping}
        self.parsers = {pos: col.kind.bind(lookups) for pos, col in mapping.items()}

    def rows(self, columns: dict[int, Column], errors: list[RowError]) -> list[SheetRow]:
        """Every kept row with the values of ``columns``."""
        rows = [SheetRow(number, {}, set(), cells) for number, cells in self.kept]
        self.fill(rows, columns, errors)
        return rows

    def fill(self, rows: Sequence[SheetRow], columns: dict[int, Column], errors: list[RowError]) -> None:
        """Parse ``columns`` of these rows, a column at a time (each kind parses a whole
        column, with a fast path for cells in their plain form), into their values; a cell
        that fails is reported and its column marked failed."""
        if not rows or not columns:
            return
        keys: list[str] = []
        parsed: list[list[Any]] = []
        problems: dict[int, list[tuple[str, str, str]]] = {}  # row index -> (key, header, message)
        required_msg = gettext("A value is required.")
        # The part's cells a column at a time.  Rows may differ in length past the last
        # mapped column (never before it, see __init__): the shortest decides.
        cells = list(zip(*[row.cells for row in rows], strict=False))
        for pos, col in columns.items():
            values = cells[pos]
            header = self.headers[pos]
            out, failures = col.kind.parse_column(self.parsers[pos], values)
            for index, message in failures:
                problems.setdefault(index, []).append((col.key, header, message))
            if col.required:
                empty = col.kind.empty
                failed = {index for index, _message in failures}
                for index, value in enumerate(out):
                    if value == empty and index not in failed:
                        problems.setdefault(index, []).append((col.key, header, required_msg))
            keys.append(col.key)
            parsed.append(out)
        for row, record in zip(rows, map(dict, map(zip, repeat(keys), zip(*parsed, strict=True))), strict=True):
            if row.values:
                row.values.update(record)
            else:
                row.values = record
        for index, found in problems.items():
            row = rows[index]
            for key, header, message in found:
                errors.append(RowError(row.number, header, message))
                row.failed.add(key)
                row.values.pop(key, None)


def _header_text(table: list[list[Any]], header_index: int, pos: int) -> str:
    return _text_of(table[header_index][pos])


@contextlib.contextmanager
def _without_cycle_collector() -> Iterator[None]:
    """Python's cycle collector paused while an import runs.

    An import holds millions of cells, values and rows at once, none of them in a cycle
    (reference counting frees them), yet every few thousand new objects the collector
    would walk them all again: that cost more than parsing them.  It is switched back on
    (and left as it was found) however the import ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_import(*, resource: str, data: bytes, filename: str, user: Any, commit: bool) -> ImportResult:
    """Check, read and validate an uploaded sheet; with ``commit`` write it, all or nothing.

    Raises ``PermissionDenied`` for a user who may not write (viewers, anonymous)."""
    with _without_cycle_collector():
        return _run_import(resource=resource, data=data, filename=filename, user=user, commit=commit)


def _run_import(*, resource: str, data: bytes, filename: str, user: Any, commit: bool) -> ImportResult:
    res = get_resource(resource)
    scope = scope_for(user)
    if not scope.can_write:
        raise PermissionDenied(gettext("You may not import records."))
    result = ImportResult()
    try:
        kind = check_upload(data, filename)
        table = read_xlsx(data) if kind == "xlsx" else read_csv(data)
        header_index, mapping, ignored = _match_header(res, table)
    except FileRefused as exc:
        result.file_error = exc.message
        return result
    result.ignored_columns = ignored
    result.headers = [_header_text(table, header_index, pos) for pos in sorted(mapping)]
    data_rows = len(table) - header_index - 1
    if data_rows > settings.ZS_IMPORT_MAX_ROWS:
        result.file_error = _too_many_rows(data_rows).message
        return result
    present = frozenset(col.key for col in mapping.values())
    headers = {col.key: _header_text(table, header_index, pos) for pos, col in mapping.items()}

    def run(writing: bool) -> Plan | None:
        """Check the rows; when ``writing``, write them as they pass (see ``Resource``)."""
        errors: list[RowError] = []
        body = _Body(table, header_index, mapping, res.lookups(user=user))
        keys = res.key_columns
        first = {pos: col for pos, col in mapping.items() if keys is None or col.key in keys}
        rest = {pos: col for pos, col in mapping.items() if pos not in first}
        rows = body.rows(first, errors)
        result.rows = len(rows)
        if not rows:
            result.file_error = gettext("The file has no data rows under the header.")
            return None

        def report(row: int, key: str, message: str) -> None:
            errors.append(RowError(row, headers.get(key) or res.column(key).zh, message))

        plan = res.plan(rows, present=present, user=user, scope=scope, report=report)
        for start in range(0, len(rows), PART_ROWS):
            part = rows[start : start + PART_ROWS]
            body.fill(part, rest, errors)
            res.plan_part(plan, part, present=present, user=user, scope=scope, report=report)
            # Nothing more is written once a row has failed: the import will be undone.
            if writing and not errors:
                res.write_part(plan, user=user)
        if writing and not errors:
            res.write(plan, user=user)
        # Left to right as the sheet shows them; columns the sheet lacks come last.
        position = {h: pos for pos, h in enumerate(result.headers)}
        position.update({c.zh: 1000 + i for i, c in enumerate(res.columns) if c.zh not in position})
        errors.sort(key=lambda e: (e.row, position.get(e.column, 2000)))
        result.errors = errors
        result.created, result.updated, result.unchanged = plan.creates, plan.updates, plan.unchanged
        positions = sorted(mapping)
        for row in rows[:20]:
            result.preview.append(
                (
                    row.number,
                    plan.actions.get(row.number, ""),
                    [_text_of(row.cells[p]) if p < len(row.cells) else "" for p in positions],
                )
            )
        return plan

    if not commit:
        run(writing=False)
        result.ok = result.file_error is None and not result.errors
        return result
    try:
        with checkpoint_after(), transaction.atomic(), audit_context(user=user, source=ChangeSource.IMPORT):
            # Every content type in the cache first: the change log needs them while the
            # writer thread has the connection, and a query then would wait for it.
            ContentType.objects.get_for_models(*django_apps.get_models())
            with bulk_write_session(), pipelined_inserts():
                plan = run(writing=True)
            if plan is None or result.errors:
                # All or nothing: whatever the parts before the first error wrote goes.
                transaction.set_rollback(True)
                return result
    except IntegrityError:
        result.file_error = gettext(
            "The records changed while the file was being imported; nothing was saved. Please try again."
        )
        return result
    result.ok = True
    result.committed = True
    return result


# -- bulk writing -------------------------------------------------------------------------


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for ``count`` new rows, so that related rows can be written before the
    database would have told them.  Call inside the import's transaction: on SQLite that
    transaction holds the write lock (IMMEDIATE), on PostgreSQL the sequence hands them out."""
    if count == 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk.column, count]
            )
            return [r[0] for r in cursor.fetchall()]
        qn = connection.ops.quote_name
        cursor.execute(f"SELECT MAX({qn(pk.column)}) FROM {qn(table)}")  # noqa: S608 - names from model meta
        start = (cursor.fetchone()[0] or 0) + 1
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            seq = cursor.fetchone()
            if seq is not None and seq[0] is not None:
                start = max(start, seq[0] + 1)
    return list(range(start, start + count))


@contextlib.contextmanager
def bulk_write_session() -> Iterator[None]:
    """A bigger page cache for SQLite while an import writes: the new rows land all over
    the indexes of a large registry, and the default 2 MB cache would keep evicting them."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        old = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MB, taken only as pages are touched
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(old)}")


def update_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], key: str = "id") -> None:
    """UPDATE by ``key`` in batches; each row is the new values then the key."""
    if not rows:
        return
    qn = connection.ops.quote_name
    sql = f"UPDATE {qn(table)} SET {', '.join(f'{qn(c)} = %s' for c in columns)} WHERE {qn(key)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def delete_where_in(table: str, column: str, values: Sequence[Any]) -> None:
    if not values:
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            cursor.execute(f"DELETE FROM {qn(table)} WHERE {qn(column)} IN ({', '.join(['%s'] * len(chunk))})", chunk)  # noqa: S608


def _column(model: type[models.Model], name: str) -> str:
    column = getattr(model._meta.get_field(name), "column", None)
    if not isinstance(column, str):
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return column


def fetch_where_in(
    model: type[models.Model], key: str, values: Iterable[Any], fields: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Rows (as tuples of ``fields``) of ``model`` whose ``key`` is one of ``values``.

    One query whatever the number of values on SQLite (``json_each``) and PostgreSQL
    (``= ANY``); batches of 900 elsewhere.  A plain read used to match a file against the
    registry; what a user may change is still decided through ``restrict``."""
    wanted = list(values)
    if not wanted:
        return []
    opts = model._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(_column(model, f)) for f in fields)
    base = f"SELECT {columns} FROM {qn(opts.db_table)} WHERE {qn(_column(model, key))}"  # noqa: S608 - names from model meta
    out: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{base} = ANY(%s)", [wanted])
            return [tuple(r) for r in cursor.fetchall()]
        if connection.vendor == "sqlite" and sqlite_has_json(cursor):
            cursor.execute(f"{base} IN (SELECT value FROM json_each(%s))", [json.dumps(wanted, ensure_ascii=False)])  # noqa: S608
            return [tuple(r) for r in cursor.fetchall()]
        for part in chunks(wanted):
            cursor.execute(f"{base} IN ({', '.join(['%s'] * len(part))})", list(part))
            out.extend(tuple(r) for r in cursor.fetchall())
    return out


def chunks(values: Sequence[Any], size: int = 900) -> Iterator[Sequence[Any]]:
    """Slices small enough for an ``IN`` list on every database (SQLite allows 999)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


class RowWriter:
    """Rows for a model's table as plain lists in field order, defaults filled in, so that
    a resource gives only the values its sheet has (``writer.row(values)``)."""

    def __init__(self, model: type[models.Model], now: dt.datetime) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        self.index = {name: i for i, name in enumerate(self.attnames)}
        self.stamp = connection.ops.adapt_datetimefield_value(now)
        defaults: list[Any] = []
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                defaults.append(self.stamp)
            else:
                defaults.append(f.get_default())
        self.defaults = defaults
        exclude = set(getattr(model, "audit_exclude", ()))
        # Positions and names of the values the change log keeps (as ``audit.snapshot``).
        logged = [(i, f.name) for i, f in enumerate(self.fields) if f.name not in exclude]
        self.logged_names = [name for _i, name in logged]
        positions = [i for i, _name in logged]
        # One C call per row for all of them (itemgetter gives a tuple from two on).
        self.logged_values: Callable[[Sequence[Any]], Sequence[Any]] = (
            itemgetter(*positions) if len(positions) > 1 else lambda row: [row[i] for i in positions]
        )

    def row(self, values: Mapping[str, Any], keys: Sequence[Any] | None = None) -> list[Any]:
        """A table row from ``values``, the default where a value is missing.  ``keys``: the
        key in ``values`` of each position (``keys_for``); by default the field attnames."""
        # One C-level map per row: an import builds a hundred thousand of them.
        return list(map(values.get, keys or self.attnames, self.defaults))

    def keys_for(self, positions: Mapping[str, int]) -> list[Any]:
        """Keys for ``row`` when ``values`` are keyed by a sheet's keys: ``positions`` gives
        each key's position; the others get a key no ``values`` has, hence the default."""
        by_position = {i: key for key, i in positions.items()}
        return [by_position.get(i, (i,)) for i in range(len(self.defaults))]

    def creation(self, row: Sequence[Any]) -> dict[str, Any]:
        """The change-log state of a new row: its given values (``audit.creation_state``),
        in the row's own types (the log's encoder writes amounts and dates as text)."""
        return given_values(zip(self.logged_names, self.logged_values(row), strict=True))

    def insert(self, ids: Sequence[int], rows: Sequence[list[Any]]) -> None:
        """Insert the rows with these ids.  The rows are handed over: each gets its id
        appended (cheaper than copying 100,000 rows to put the id first)."""
        pk = self.model._meta.pk
        assert pk is not None
        for pk_value, row in zip(ids, rows, strict=True):
            row.append(pk_value)
        insert_rows(self.model._meta.db_table, [*self.columns, pk.column], rows)


def jsonable(value: Any) -> Any:
    """A value as the change log keeps it (same forms as ``audit.snapshot``)."""
    if value is None or type(value) in (str, int, bool):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class Ref:
    """A saved row as the change log needs it (id and text), without a model instance."""

    model: type[models.Model]
    pk: int
    text: str


def log_changes(
    entries: Iterable[tuple[Ref, str, dict[str, Any] | None, dict[str, Any] | None]],
    *,
    message: str = "",
    given: bool = False,
) -> int:
    """Change-log rows for an import, from saved rows known only by id and text
    (``given``: see ``audit.write_change_rows``)."""
    return write_change_rows(
        ((ref.model, ref.pk, ref.text, action, before, after) for ref, action, before, after in entries),
        message=message,
        given=given,
    )


# -- export -------------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if type(value) is str and value[:1] in _FORMULA_START:
        return "'" + value
    return value


def _export_cells(res: Resource, queryset: Any) -> Iterator[list[Any]]:
    kinds = [col.kind for col in res.columns]
    for record in res.export_rows(queryset):
        yield [neutralise(kind.to_cell(value)) for kind, value in zip(kinds, record, strict=True)]


def _export_name(res: Resource, fmt: str) -> str:
    return f"{res.name}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_response(*, resource: str, queryset: Any, fmt: str) -> HttpResponse:
    """The queryset as an .xlsx or CSV download with the template's Chinese headers, so
    that an export can be edited and imported again.  Formula-like texts are neutralised.
    Records are read in chunks (no query per row); CSV is streamed."""
    res = get_resource(resource)
    headers = [col.zh for col in res.columns]
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def lines() -> Iterator[str]:
            # The byte-order mark tells Excel the file is UTF-8, so Chinese opens correctly.
            yield "\ufeff" + writer.writerow(headers)
            chunk: list[str] = []
            for cells in _export_cells(res, queryset):
                chunk.append(writer.writerow(["" if v is None else v for v in cells]))
                if len(chunk) >= 500:
                    yield "".join(chunk)
                    chunk = []
            yield "".join(chunk)

        response = cast(HttpResponse, StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8"))
        response["Content-Disposition"] = f'attachment; filename="{_export_name(res, "csv")}"'
        return response
    if fmt != "xlsx":
        raise ValueError(f"unknown export format {fmt!r}")
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(res.sheet_title)
    sheet.freeze_panes = "A2"
    for i, col in enumerate(res.columns):
        sheet.column_dimensions[_column_letter(i)].width = col.width
    sheet.append(headers)
    for cells in _export_cells(res, queryset):
        # An empty cell is left out of the sheet's XML rather than written as "".
        sheet.append([None if v == "" else v for v in cells])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response
    book.save(spool)
    spool.seek(0)
    download = FileResponse(
        spool,
        as_attachment=True,
        filename=_export_name(res, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    # Both downloads stream; views only pass them on, so they are typed as the response
    # the views declare.
    return cast(HttpResponse, download)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# -- template -----------------------------------------------------------------------------


def template_bytes(resource: str, *, user: Any = None) -> bytes:
    """An empty workbook to fill in: Chinese headers, a frozen header row, a comment on
    each header (required or not, and how to write it), drop-down lists for coded columns
    (long lists from a hidden sheet)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    res = get_resource(resource)
    lists = res.template_lists(user=user)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = res.sheet_title
    hidden = book.create_sheet("代码表")
    hidden.sheet_state = "hidden"
    required_fill = PatternFill("solid", fgColor="FDE2E1")
    plain_fill = PatternFill("solid", fgColor="E7EEF7")
    list_col = 0
    last_row = settings.ZS_IMPORT_MAX_ROWS + 1
    for i, col in enumerate(res.columns):
        letter = _column_letter(i)
        cell = sheet.cell(row=1, column=i + 1, value=col.zh)
        cell.font = Font(bold=True, color="B42318" if col.required else "1F2937")
        cell.fill = required_fill if col.required else plain_fill
        note = [str(_("Required.")) if col.required else str(_("Optional.")), str(col.label)]
        if col.help:
            note.append(str(col.help))
        cell.comment = Comment("\n".join(note), "zhaoshang", width=260, height=120)
        sheet.column_dimensions[letter].width = col.width
        options = col.kind.options(lists)
        if not options:
            continue
        list_col += 1
        list_letter = _column_letter(list_col - 1)
        hidden.cell(row=1, column=list_col, value=col.zh)
        for r, option in enumerate(options, start=2):
            hidden.cell(row=r, column=list_col, value=option)
        source = f"'代码表'!${list_letter}$2:${list_letter}${len(options) + 1}"
        validation = DataValidation(type="list", formula1=source, allow_blank=True, showDropDown=False)
        validation.error = str(_("Choose a value from the list."))
        validation.errorTitle = str(col.label)
        # A code typed by hand (e.g. 3911 for an industry) is also understood by the import,
        # so the list warns instead of refusing.
        validation.errorStyle = "warning"
        validation.add(f"{letter}2:{letter}{last_row}")
        sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template_response(resource: str, *, user: Any = None) -> HttpResponse:
    """The import template as a download."""
    res = get_resource(resource)
    response = HttpResponse(
        template_bytes(resource, user=user),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{res.name}-template.xlsx"'
    return response
