"""The import template: an empty workbook to fill in."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.tabular.engine import get_resource
from zhaoshang.core.tabular.export import column_letter

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
        letter = column_letter(i)
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
        list_letter = column_letter(list_col - 1)
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
