"""Uploaded sheets waiting between their preview and their commit.

The bytes are kept under ``DATA_DIR/uploads/<random token>``, with who uploaded them for which
sheet and how many rows the preview found.  A large sheet's preview is made by a job: what it
found (counts, the first errors, the first rows) is kept beside the upload for the import page
to show (``save_preview``, ``load_preview``).  The commit (a request, or the job of a large
import) names only the token, never a path, and is refused for any other user or sheet;
uploads nobody committed are forgotten after a day.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from zhaoshang.core.tabular.engine import ImportResult, RowError

# Errors kept of a preview made by a job (the page shows as many; the count says the rest).
PREVIEW_ERRORS = 500

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
KEEP_SECONDS = 24 * 3600


def upload_dir() -> Path:
    path = Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Stored:
    data: bytes
    filename: str
    rows: int


def store(data: bytes, *, filename: str, user_id: int | None, resource: str, rows: int = 0) -> str:
    """Keep an upload whose preview passed; return its token."""
    folder = upload_dir()
    sweep(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.bin").write_bytes(data)
    meta = {
        "user": user_id,
        "resource": resource,
        "filename": Path(filename).name[:200],
        "time": time.time(),
        "rows": rows,
    }
    (folder / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return token


def load(token: str, *, user_id: int | None, resource: str) -> Stored | None:
    """The upload behind ``token`` if ``user_id`` stored it for ``resource`` within a day."""
    if not _TOKEN.match(token):
        return None
    folder = upload_dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        if user_id is None or meta.get("user") != user_id or meta.get("resource") != resource:
            return None
        if time.time() - float(meta.get("time", 0)) > KEEP_SECONDS:
            return None
        return Stored((folder / f"{token}.bin").read_bytes(), str(meta.get("filename", "")), int(meta.get("rows", 0)))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, value: object) -> None:
    """Write whole or not at all: the page may read while the job writes."""
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


def save_preview(token: str, result: ImportResult) -> None:
    """Keep what the preview of the upload ``token`` found, and its row count for the commit."""
    if not _TOKEN.match(token):
        raise ValueError("not an upload token")
    folder = upload_dir()
    meta_path = folder / f"{token}.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["rows"] = result.rows
    _write_json(meta_path, meta)
    _write_json(
        folder / f"{token}.preview",
        {
            "ok": result.ok,
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "file_error": result.file_error,
            "headers": result.headers,
            "ignored_columns": result.ignored_columns,
            "errors": [[e.row, e.column, e.message] for e in result.errors[:PREVIEW_ERRORS]],
            "errors_total": len(result.errors),
            "preview": [[n, action, cells] for n, action, cells in result.preview],
        },
    )


def load_preview(token: str, *, user_id: int | None, resource: str) -> tuple[Stored, ImportResult, int] | None:
    """The upload, what its preview found and how many errors it found in all; ``None`` if
    the upload is not this user's for this sheet, has expired, or has no preview yet."""
    stored = load(token, user_id=user_id, resource=resource)
    if stored is None:
        return None
    try:
        found = json.loads((upload_dir() / f"{token}.preview").read_text(encoding="utf-8"))
        result = ImportResult(
            ok=bool(found["ok"]),
            rows=int(found["rows"]),
            created=int(found["created"]),
            updated=int(found["updated"]),
            unchanged=int(found["unchanged"]),
            file_error=found["file_error"],
            headers=[str(h) for h in found["headers"]],
            ignored_columns=[str(c) for c in found["ignored_columns"]],
            errors=[RowError(int(r), str(c), str(m)) for r, c, m in found["errors"]],
            preview=[(int(n), str(a), [str(c) for c in cells]) for n, a, cells in found["preview"]],
        )
        return stored, result, int(found["errors_total"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def discard(token: str) -> None:
    if _TOKEN.match(token):
        for suffix in (".bin", ".json", ".preview"):
            (upload_dir() / f"{token}{suffix}").unlink(missing_ok=True)


def sweep(folder: Path) -> None:
    """Forget uploads nobody committed within a day."""
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue
