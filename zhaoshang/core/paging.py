"""A pager that never counts: it fetches one row more than a page to know whether a next
page exists, so a list over a million rows costs the same as one over a hundred."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from zhaoshang.core.params import int_param


@dataclass
class Page:
    items: list[Any]
    number: int
    has_next: bool
    query: str

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def peek_page(request: HttpRequest, queryset: Any, per_page: int = 50, max_page: int = 2000) -> Page:
    number = int_param(request.GET, "page", default=1, minimum=1, maximum=max_page)
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    params = request.GET.copy()
    params.pop("page", None)
    return Page(items=rows[:per_page], number=number, has_next=len(rows) > per_page, query=params.urlencode())
