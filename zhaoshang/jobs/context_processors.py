"""The top bar's count of the user's unfinished jobs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


class _ActiveCount:
    """Counted when a template first shows it, then kept: a fragment that never shows the
    top bar (an htmx swap) pays nothing, a page that does pays one indexed query."""

    def __init__(self, user: Any) -> None:
        self._user = user
        self._value: int | None = None

    @property
    def value(self) -> int:
        if self._value is None:
            from zhaoshang.jobs.selectors import active_count

            self._value = active_count(self._user)
        return self._value

    def __bool__(self) -> bool:
        return self.value > 0

    def __str__(self) -> str:
        return str(self.value)

    def __int__(self) -> int:
        return self.value


def active_jobs(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"active_jobs": _ActiveCount(user)}
