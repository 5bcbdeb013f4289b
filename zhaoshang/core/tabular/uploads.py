"""Checks on an uploaded file's raw bytes, before any parser runs.

Empty, too large, not a workbook or CSV (recognised by magic bytes, not by the file name), an
old .xls, a workbook with macros, or a zip bomb (read from the zip directory; nothing is
inflated)."""

from __future__ import annotations

import io
import zipfile

from django.conf import settings
from django.utils.translation import gettext


class FileRefused(Exception):
    """The whole file is refused; the message is for the user."""

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
