"""Per-request audit context: who is acting and the request id carried into the change log."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from zhaoshang.core.audit import audit_context, new_request_id
from zhaoshang.core.models import ChangeSource

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        with audit_context(user=request.user, source=ChangeSource.WEB, request_id=request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
