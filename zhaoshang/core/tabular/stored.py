"""Uploaded sheets waiting between their preview and their commit.

The bytes are kept under ``DATA_DIR/uploads/<random token>``, with who uploaded them for which
sheet and how many rows the preview found.  The commit (a request, or the job of a large
import) names only the token, never a path, and is refused for any other user or sheet;
uploads nobody committed are forgotten after a day.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

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


def discard(token: str) -> None:
    if _TOKEN.match(token):
        for suffix in (".bin", ".json"):
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
