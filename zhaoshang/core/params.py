"""Every id, number and text a page reads from its path or its query string is parsed here,
so that bad input is never a server error.

The rule, the same everywhere:

- **ids in a path** go through the ``id`` converter (``<id:pk>``): ASCII digits from 1 to
  2**63 - 1; anything else (``²``, ``１２``, ``0``, 2**63) is a 404, like an unknown record.
- **navigation** (``page``, a list's choice of tab) falls back to its default when it is not
  understood: a stale bookmark or a hand-edited link still shows a page.
- **ids and text** that a page acts on (``?ids=``, ``?enterprise=``, ``remove``, a search
  term) raise ``BadParameter`` when malformed (not an id, too long, a NUL character), which
  ``BadParameterMiddleware`` answers with a plain 400 page naming the parameter. A well-formed
  id that names nothing the user may see is the view's business (a 404, or ignored).
- **forms and list filters** answer with a form error: ``core.filters.TextFilter`` and
  ``core.forms.IdChoiceField`` hold text and ids to the same limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

MAX_ID = 2**63 - 1  # the largest value of a 64-bit primary key on SQLite and PostgreSQL
MAX_ID_DIGITS = len(str(MAX_ID))
TEXT_MAX = 100  # the longest search term a page accepts


class BadParameter(Exception):
    """A parameter that cannot be understood: answered 400 with a message naming it."""

    def __init__(self, name: str, message: str = "") -> None:
        self.name = name
        self.message = message or _("The parameter “%(name)s” is not understood.") % {"name": name}
        super().__init__(self.message)


def parse_id(value: Any) -> int | None:
    """The id a text stands for, or None: ASCII digits only, from 1 to ``MAX_ID``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= MAX_ID else None
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_ID_DIGITS or not value.isascii() or not value.isdigit():
        return None
    n = int(value)
    return n if 1 <= n <= MAX_ID else None


def text_problem(value: str, max_len: int = TEXT_MAX) -> str | None:
    """Why a search text is refused (too long, a NUL character), or None."""
    if "\x00" in value:
        return _("It may not contain a NUL character.")
    if len(value) > max_len:
        return _("It may be at most %(n)s characters long.") % {"n": max_len}
    return None


def _raw(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name, "")
    return value if isinstance(value, str) else ""


def id_param(data: Mapping[str, Any], name: str) -> int | None:
    """An optional id (None when absent or empty); malformed → ``BadParameter``."""
    raw = _raw(data, name).strip()
    if not raw:
        return None
    n = parse_id(raw)
    if n is None:
        raise BadParameter(name, _("The parameter “%(name)s” is not an id.") % {"name": name})
    return n


def id_list_param(data: Any, name: str, *, max_count: int = 100) -> list[int]:
    """A list of ids (``?ids=1&ids=2``), in order and without repeats; any malformed one, or
    more than ``max_count``, → ``BadParameter``."""
    raw: Iterable[Any] = data.getlist(name) if hasattr(data, "getlist") else [data.get(name, "")]
    values = [v.strip() for v in raw if isinstance(v, str) and v.strip()]
    if len(values) > max_count:
        raise BadParameter(
            name, _("The parameter “%(name)s” names more than %(n)s records.") % {"name": name, "n": max_count}
        )
    ids: list[int] = []
    for v in values:
        n = parse_id(v)
        if n is None:
            raise BadParameter(name, _("The parameter “%(name)s” is not a list of ids.") % {"name": name})
        ids.append(n)
    return list(dict.fromkeys(ids))


def int_param(
    data: Mapping[str, Any], name: str, *, default: int, minimum: int | None = None, maximum: int | None = None
) -> int:
    """A navigation number (a page): ASCII digits within the bounds, else clamped to them;
    anything not a number falls back to ``default``."""
    raw = _raw(data, name).strip()
    sign = -1 if raw.startswith("-") else 1
    digits = raw[1:] if raw[:1] in "+-" and raw else raw
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > MAX_ID_DIGITS:
        return default
    n = sign * int(digits)
    if minimum is not None:
        n = max(n, minimum)
    if maximum is not None:
        n = min(n, maximum)
    return n


def choice_param(data: Mapping[str, Any], name: str, choices: Iterable[str], *, default: str) -> str:
    """A navigation choice (a tab of a list): one of ``choices``, else ``default``."""
    raw = _raw(data, name)
    return raw if raw in set(choices) else default


def text_param(data: Mapping[str, Any], name: str, *, max_len: int = TEXT_MAX) -> str:
    """A free text (a search term), stripped; too long or with a NUL → ``BadParameter``."""
    raw = _raw(data, name).strip()
    problem = text_problem(raw, max_len)
    if problem:
        raise BadParameter(name, _("The parameter “%(name)s” is refused: %(why)s") % {"name": name, "why": problem})
    return raw


def flag_param(data: Mapping[str, Any], name: str, *, default: bool) -> bool:
    """A yes/no sent by a button: "1" or "0" (absent: ``default``); anything else → ``BadParameter``."""
    raw = _raw(data, name).strip()
    if not raw:
        return default
    if raw in ("1", "0"):
        return raw == "1"
    raise BadParameter(name)


class IdConverter:
    """The ``id`` path converter (``<id:pk>``), registered in ``zhaoshang.urls``: ASCII digits
    from 1 to ``MAX_ID``; anything else does not match, so the page answers 404."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        n = parse_id(value)
        if n is None:
            raise ValueError(value)
        return n

    def to_url(self, value: Any) -> str:
        # 0 is allowed when reversing: pages build one URL with 0 and put each id in its place.
        n = 0 if str(value) == "0" else parse_id(value if isinstance(value, int) else str(value))
        if n is None:
            raise ValueError(value)
        return str(n)
