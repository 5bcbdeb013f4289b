"""Readers: the first visible worksheet of an .xlsx (python-calamine), or a CSV file in
UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK as Chinese Excel saves it."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from zhaoshang.core.tabular.uploads import FileRefused

# -- readers ------------------------------------------------------------------------------


def too_many_rows(count: int) -> FileRefused:
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
                raise too_many_rows(end[0])
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
        raise too_many_rows(len(rows) - 1)
    return rows
