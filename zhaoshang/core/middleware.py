"""Per-request audit context (who is acting and the request id carried into the change log),
the language, the answer to a write that found the database busy, and to a bad parameter."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy

from zhaoshang.core.audit import audit_context, new_request_id
from zhaoshang.core.models import ChangeSource

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
logger = logging.getLogger(__name__)

BUSY_MESSAGE = gettext_lazy("The database is busy with other work. Nothing was saved: try again in a moment.")


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


def database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be had in time: SQLite's write lock held
    past the busy timeout ("database is locked", "database table is locked", "busy"), no free
    connection in the PostgreSQL pool ("couldn't get a connection"), or PostgreSQL giving up a
    lock wait ("deadlock detected", "lock timeout").  The transaction was rolled back whole."""
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc).lower()
    return any(word in text for word in _BUSY_WORDS)


_BUSY_WORDS = ("is locked", "busy", "couldn't get a connection", "deadlock detected", "lock timeout")


class DatabaseBusyMiddleware:
    """A write that could not get the database in time is answered 503 with a page saying
    that nothing was saved and to try again in a moment, never a 500 (its transaction was
    rolled back whole).  The page reads nothing from the database, which is busy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_busy(exception):
            return None
        logger.warning("database busy, answered 503: %s %s: %s", request.method, request.path, exception)
        if request.headers.get("HX-Request") or "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"ok": False, "errors": [str(BUSY_MESSAGE)]}, status=503, headers={"Retry-After": "5"})
        response = HttpResponse(render_to_string("busy.html", {"message": BUSY_MESSAGE}), status=503)
        response["Retry-After"] = "5"
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
