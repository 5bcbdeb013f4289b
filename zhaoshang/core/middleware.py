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


class DefaultLanguageMiddleware:
    """zh-Hans unless the user chose otherwise.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a zone PC with
    an English browser would show English.  The zone works in Chinese: only the language
    cookie set by the switch in the top bar changes the language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class BadParameterMiddleware:
    """Answer a ``core.params.BadParameter`` raised by a view with a plain 400 page naming
    the parameter, instead of a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from zhaoshang.core.params import BadParameter

        if not isinstance(exception, BadParameter):
            return None
        return render(request, "bad_parameter.html", {"message": exception.message}, status=400)
