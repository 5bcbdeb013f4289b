"""Batch screening and scoring: every project through the screening rules and the scoring
scheme in one go (what ``manage.py rescreen`` and a new scheme version do), beside the time
to just read those projects' facts.

The read is the floor any batch pays: the same projects, the fact columns screening and
scoring read (theirs and their enterprises'), fetched as the batch fetches them, with nothing
computed or written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import transaction

from zhaoshang.core.bulk import batch_mode
from zhaoshang.projects.models import Project


def read_seconds() -> tuple[float, int]:
    """Seconds to read what the batch reads: every project's facts that screening and scoring
    look at, and its enterprise's, the way the batch reads them (``core.bulk.plain_values``)."""
    from zhaoshang.core.bulk import plain_values
    from zhaoshang.evaluation.selectors import FACT_COLUMNS
    from zhaoshang.screening.services import _READ_FIELDS

    fields = list(dict.fromkeys(["id", *_READ_FIELDS, *FACT_COLUMNS]))
    start = time.perf_counter()
    rows = plain_values(Project.objects.order_by("pk"), fields)
    return time.perf_counter() - start, len(rows)


def measure_batch(say: Callable[[str], None] = print) -> dict[str, Any]:
    """Screen and score every project in the database; time it beside a plain read."""
    from zhaoshang.evaluation.services import score_all
    from zhaoshang.screening.services import screen_all

    read_s, count = read_seconds()
    say(f"  read {count:,} projects in {read_s:.1f} s")
    start = time.perf_counter()
    # As a job runs them (batch mode: the tuning of batch work allowed).
    with batch_mode(), transaction.atomic():
        screened = screen_all().done
        screen_s = time.perf_counter() - start
        scored = score_all().done
    total = time.perf_counter() - start
    say(f"  screened {screened:,} in {screen_s:.1f} s, scored {scored:,} in {total - screen_s:.1f} s")
    return {
        "projects": count,
        "read_100k_s": round(read_s, 2),
        "screen_s": round(screen_s, 2),
        "score_s": round(total - screen_s, 2),
        "screen_and_score_100k_s": round(total, 2),
        "target_s": TARGET_S,
        "pass": total + read_s <= TARGET_S,
    }


# Screening and scoring 100,000 projects, and reading them, together within 10 s.
TARGET_S = 10.0
