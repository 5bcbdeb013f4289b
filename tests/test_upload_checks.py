"""Uploads are refused before anything parses them: empty, too large, not a workbook or CSV,
an old .xls, macros, zip bombs, too many rows.  Each refusal has a clear message and leaves
the database as it was."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.test import override_settings
from django.utils import translation

from tests.factories import credit_code, enterprise
from tests.test_import_export import csv_bytes, state, xlsx
from zhaoshang.core.tabular.engine import run_import
from zhaoshang.core.tabular.uploads import FileRefused, check_upload

NOT_TABULAR = "The file is not an Excel workbook (.xlsx) or a CSV file."
MACROS = (
    "The workbook contains macros, which are not accepted; save it as an Excel workbook (.xlsx) without macros "
    "and upload it again."
)
DAMAGED = "The workbook could not be read: it is damaged or not a real .xlsx file."
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" + b"\x00" * 64
)


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def good_workbook() -> bytes:
    return xlsx([["企业名称", "统一社会信用代码"], ["好企业科技有限公司", credit_code(77)]])


def with_entry(workbook: bytes, name: str, content: bytes, content_types: bytes | None = None) -> bytes:
    """The workbook with one more part (or its content types replaced)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if content_types is not None and info.filename == "[Content_Types].xml":
                data = content_types
            target.writestr(info, data)
        if name:
            target.writestr(name, content)
    return out.getvalue()


def refused(data: bytes, filename: str, user: Any) -> str | None:
    """Run the import (committing) and return its file error."""
    result = run_import(resource="enterprises", data=data, filename=filename, user=user, commit=True)
    assert not result.ok and not result.committed and result.errors == []
    return result.file_error


@pytest.fixture
def before(org: Any) -> Any:
    keep = enterprise("已有企业有限公司", credit_code=credit_code(78), employees=12)
    return keep, state(keep)


def test_a_good_workbook_passes_the_checks() -> None:
    assert check_upload(good_workbook(), "x.xlsx") == "xlsx"
    assert check_upload("企业名称\n甲\n".encode(), "x.csv") == "csv"


def test_empty_file_is_refused(org: Any, before: Any) -> None:
    assert refused(b"", "空.xlsx", org.coordinator) == "The file is empty."
    assert state(before[0]) == before[1]


def test_png_renamed_xlsx_is_refused(org: Any, before: Any) -> None:
    assert refused(PNG, "图片.xlsx", org.coordinator) == NOT_TABULAR
    assert refused(PNG, "图片.csv", org.coordinator) == NOT_TABULAR
    assert state(before[0]) == before[1]


def test_text_renamed_xlsx_is_refused(org: Any, before: Any) -> None:
    assert refused("企业名称\n甲科技有限公司\n".encode(), "文本.xlsx", org.coordinator) == NOT_TABULAR
    assert state(before[0]) == before[1]


def test_old_xls_is_refused(org: Any, before: Any) -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    assert refused(ole2, "旧.xls", org.coordinator) == (
        "Excel 97-2003 workbooks (.xls) are not accepted; save the file as an Excel workbook (.xlsx) and upload it again."
    )
    assert state(before[0]) == before[1]


def test_workbook_with_vba_project_is_refused_whatever_its_name(org: Any, before: Any) -> None:
    xlsm = with_entry(good_workbook(), "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 fake macro storage")
    assert refused(xlsm, "宏.xlsm", org.coordinator) == MACROS
    assert refused(xlsm, "改名.xlsx", org.coordinator) == MACROS
    assert state(before[0]) == before[1]


def test_macro_enabled_content_type_is_refused(org: Any, before: Any) -> None:
    book = good_workbook()
    types = zipfile.ZipFile(io.BytesIO(book)).read("[Content_Types].xml")
    types = types.replace(b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
    assert refused(with_entry(book, "", b"", content_types=types), "宏.xlsx", org.coordinator) == MACROS
    assert state(before[0]) == before[1]


def test_zip_bomb_is_refused_from_the_directory_without_inflating(org: Any, before: Any) -> None:
    # 300 MB of zeros deflate to about 300 KB: more than the unpacked limit of 200 MB.
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", b'<Types xmlns="spreadsheetml"/>')
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            block = b"\x00" * (1024 * 1024)
            for _ in range(300):
                entry.write(block)
    data = bomb.getvalue()
    assert len(data) < 1024 * 1024
    assert refused(data, "炸弹.xlsx", org.coordinator) == (
        "The workbook would unpack to 300.0 MB, more than the limit of 200.0 MB; it is refused as a possible zip bomb."
    )
    assert state(before[0]) == before[1]


def test_small_zip_bomb_is_refused_by_its_compression_ratio(org: Any, before: Any) -> None:
    bomb = with_entry(good_workbook(), "xl/media/padding.bin", b"\x00" * (20 * 1024 * 1024))
    assert len(bomb) < 100 * 1024
    message = refused(bomb, "小炸弹.xlsx", org.coordinator)
    assert message is not None and message.startswith("The workbook is compressed ")
    assert message.endswith(" times, far more than any real spreadsheet; it is refused as a possible zip bomb.")
    assert state(before[0]) == before[1]


def test_damaged_workbook_and_other_zips_are_refused(org: Any, before: Any) -> None:
    assert refused(b"PK\x03\x04" + b"garbage" * 50, "坏.xlsx", org.coordinator) == DAMAGED
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", b"<Types>wordprocessingml</Types>")
        z.writestr("word/document.xml", b"<w:document/>")
    assert refused(docx.getvalue(), "文档.xlsx", org.coordinator) == NOT_TABULAR
    broken_sheet = with_entry(good_workbook(), "", b"")
    broken_sheet = broken_sheet.replace(b"xl/worksheets/sheet1.xml", b"xl/worksheets/sheetX.xml")
    assert refused(broken_sheet, "坏表.xlsx", org.coordinator) == DAMAGED
    assert state(before[0]) == before[1]


@override_settings(ZS_UPLOAD_MAX_BYTES=1000)
def test_file_over_the_size_limit_is_refused(org: Any, before: Any) -> None:
    data = csv_bytes([["企业名称"]] + [["某某科技有限公司"]] * 100)
    assert len(data) > 1000
    assert refused(data, "大.csv", org.coordinator) == f"The file is {len(data) / 1048576:.1f} MB; the limit is 0.0 MB."
    assert state(before[0]) == before[1]


@override_settings(ZS_IMPORT_MAX_ROWS=3)
def test_too_many_rows_are_refused(org: Any, before: Any) -> None:
    rows = [["企业名称"]] + [[f"第{i}家科技有限公司"] for i in range(30)]
    for data, name in ((xlsx(rows), "多.xlsx"), (csv_bytes(rows), "多.csv")):
        assert refused(data, name, org.coordinator) == "The file has 30 rows; at most 3 rows can be imported at once."
    four = rows[:5]
    assert (
        refused(csv_bytes(four), "四.csv", org.coordinator)
        == "The file has 4 rows; at most 3 rows can be imported at once."
    )
    assert run_import(
        resource="enterprises", data=csv_bytes(rows[:4]), filename="三.csv", user=org.coordinator, commit=False
    ).ok
    assert state(before[0]) == before[1]


def test_csv_in_an_unknown_encoding_is_refused(org: Any, before: Any) -> None:
    assert (
        refused(b"\x81\x30\x81" * 10 + b"\xff\xff\n", "乱码.csv", org.coordinator)
        == "The CSV file is neither UTF-8 nor GBK/GB18030 text."
    )
    assert state(before[0]) == before[1]


def test_check_upload_raises_with_the_reason() -> None:
    with pytest.raises(FileRefused) as info:
        check_upload(b"", "a.csv")
    assert info.value.message == "The file is empty."
