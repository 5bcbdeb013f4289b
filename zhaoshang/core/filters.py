"""List filters shared by every app's ``filtersets.py``: a free text is held to the limits of
``core.params`` (at most ``TEXT_MAX`` characters, no NUL), so a pasted page of text or a
control character is a form error on the filter, never a query the database refuses."""

from __future__ import annotations

from typing import Any

import django_filters

from zhaoshang.core.forms import IdChoiceField
from zhaoshang.core.params import TEXT_MAX


class TextFilter(django_filters.CharFilter):
    """A text filter of at most ``TEXT_MAX`` characters (Django's CharField already refuses
    NUL characters)."""

    def __init__(self, *args: Any, max_length: int = TEXT_MAX, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", max_length)
        super().__init__(*args, **kwargs)


class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """A choice of one record by id, with ``core.forms.IdChoiceField``'s ids."""

    field_class = IdChoiceField
