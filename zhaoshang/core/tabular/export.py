"""Export of a list as .xlsx or CSV with the template's Chinese headers, formula-like texts
neutralised."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from zhaoshang.core.tabular.engine import Resource, get_resource
from zhaoshang.core.tabular.kinds import FORMULA_START

# -- export -------------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if type(value) is str and value[:1] in FORMULA_START:
        return "'" + value
    return value


def exported_columns(res: Resource) -> list[Any]:
    """The columns an export holds, in order (``Resource.export_rows`` yields one value each)."""
    return [col for col in res.columns if col.exported]


def _export_cells(res: Resource, queryset: Any) -> Iterator[list[Any]]:
    kinds = [col.kind for col in exported_columns(res)]
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
    headers = [col.zh for col in exported_columns(res)]
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
    return workbook_response(
        title=res.sheet_title,
        headers=headers,
        rows=_export_cells(res, queryset),
        filename=_export_name(res, "xlsx"),
        widths=[col.width for col in exported_columns(res)],
    )


def workbook_response(
    *, title: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]], filename: str, widths: Sequence[int] = ()
) -> HttpResponse:
    """Rows as an .xlsx download: the header row frozen, formula-like texts neutralised,
    written row by row to a temporary file that the response streams."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for i, width in enumerate(widths):
        sheet.column_dimensions[column_letter(i)].width = width
    sheet.append(list(headers))
    for cells in rows:
        # An empty cell is left out of the sheet's XML rather than written as "".
        sheet.append([None if v == "" else neutralise(v) for v in cells])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response
    book.save(spool)
    spool.seek(0)
    download = FileResponse(
        spool,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    # Both downloads stream; views only pass them on, so they are typed as the response
    # the views declare.
    return cast(HttpResponse, download)


def column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))
