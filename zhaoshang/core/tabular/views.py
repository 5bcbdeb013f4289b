"""Import pages: upload, preview with every error, then commit; and the template download.

The uploaded bytes are kept between the preview and the commit under
``DATA_DIR/uploads/<random token>``, together with who uploaded them for which sheet.  The
commit names only the token, never a path, and is refused for any other user; the file is
checked and validated again at commit time, since the records may have changed meanwhile.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from zhaoshang.core.scoping import IMPORT, may
from zhaoshang.core.tabular.engine import CREATE, ImportResult, Resource, get_resource, run_import
from zhaoshang.core.tabular.template import template_response

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
KEEP_SECONDS = 24 * 3600
ERRORS_SHOWN = 500


def upload_dir() -> Path:
    path = Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _resource_or_404(name: str) -> Resource:
    try:
        return get_resource(name)
    except LookupError as exc:
        raise Http404 from exc


def _store(data: bytes, *, filename: str, user_id: int | None, resource: str) -> str:
    folder = upload_dir()
    _sweep(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.bin").write_bytes(data)
    meta = {"user": user_id, "resource": resource, "filename": Path(filename).name[:200], "time": time.time()}
    (folder / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return token


def _load(token: str, *, user_id: int | None, resource: str) -> tuple[bytes, str] | None:
    if not _TOKEN.match(token):
        return None
    folder = upload_dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        if user_id is None or meta.get("user") != user_id or meta.get("resource") != resource:
            return None
        if time.time() - float(meta.get("time", 0)) > KEEP_SECONDS:
            return None
        return (folder / f"{token}.bin").read_bytes(), str(meta.get("filename", ""))
    except (OSError, ValueError):
        return None


def _discard(token: str) -> None:
    if _TOKEN.match(token):
        for suffix in (".bin", ".json"):
            (upload_dir() / f"{token}{suffix}").unlink(missing_ok=True)


def _sweep(folder: Path) -> None:
    """Forget uploads nobody committed within a day."""
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def _context(res: Resource, result: ImportResult | None = None, token: str = "", **extra: Any) -> dict[str, Any]:
    namespace = res.list_url.split(":")[0]
    context: dict[str, Any] = {
        "resource": res,
        "title": res.title,
        "import_url": reverse(f"{namespace}:import"),
        "template_url": reverse(f"{namespace}:import_template"),
        "list_url": reverse(res.list_url),
        "max_mb": settings.ZS_UPLOAD_MAX_BYTES // (1024 * 1024),
        "max_rows": settings.ZS_IMPORT_MAX_ROWS,
        "result": result,
        "token": token,
        "create": CREATE,
        **extra,
    }
    if result is not None:
        context["errors_shown"] = result.errors[:ERRORS_SHOWN]
        context["errors_hidden"] = max(len(result.errors) - ERRORS_SHOWN, 0)
    return context


@login_required
def import_view(request: HttpRequest, resource: str) -> HttpResponse:
    """Upload a sheet, see what it would do, then commit it."""
    res = _resource_or_404(resource)
    if not may(request.user, IMPORT, res.model):
        raise PermissionDenied
    template = "imports/import.html"
    if request.method != "POST":
        return render(request, template, _context(res))
    user_id = request.user.pk
    token = request.POST.get("token", "")
    if token:
        stored = _load(token, user_id=user_id, resource=resource)
        if stored is None:
            messages.error(request, _("The uploaded file has expired or is not yours; upload it again."))
            return redirect(_context(res)["import_url"])
        data, filename = stored
        result = run_import(resource=resource, data=data, filename=filename, user=request.user, commit=True)
        if result.ok:
            _discard(token)
            messages.success(
                request,
                _("Imported %(rows)s rows: %(created)s created, %(updated)s updated.")
                % {"rows": result.rows, "created": result.created, "updated": result.updated},
            )
            return redirect(res.list_url)
        return render(request, template, _context(res, result, filename=filename))
    upload = request.FILES.get("file")
    if upload is None:
        return render(request, template, _context(res, form_error=_("Choose a file to upload.")))
    if upload.size is not None and upload.size > settings.ZS_UPLOAD_MAX_BYTES:
        result = ImportResult(
            file_error=_("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {
                "size": f"{upload.size / (1024 * 1024):.1f}",
                "limit": f"{settings.ZS_UPLOAD_MAX_BYTES / (1024 * 1024):.1f}",
            }
        )
        return render(request, template, _context(res, result, filename=upload.name))
    data = upload.read()
    filename = upload.name or ""
    result = run_import(resource=resource, data=data, filename=filename, user=request.user, commit=False)
    if result.ok:
        token = _store(data, filename=filename, user_id=user_id, resource=resource)
    return render(request, template, _context(res, result, token, filename=filename))


@login_required
def template_view(request: HttpRequest, resource: str) -> HttpResponse:
    """The empty .xlsx to fill in, with drop-down lists for the user's units and codes."""
    _resource_or_404(resource)
    return template_response(resource, user=request.user)
