"""Pure decisions about jobs: how far along one is, whether its worker is still alive, and
whether it may run again.  No model, no query: the runner, the recovery and the pages ask
these with plain values."""

from __future__ import annotations

import datetime as dt

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
# States in which a job is not finished yet: its page polls, the top bar counts it.
ACTIVE = (QUEUED, RUNNING)
FINISHED = (DONE, FAILED)

REQUEUE = "requeue"
GIVE_UP = "give_up"


def percent(done: int, total: int | None) -> int | None:
    """How far along, 0–100, or None when the job has not said how much there is."""
    if not total or total <= 0:
        return None
    return max(0, min(100, done * 100 // total))


def last_sign_of_life(*beats: dt.datetime | None) -> dt.datetime | None:
    """The latest of the beats known (the row's heartbeat, the cache's)."""
    known = [b for b in beats if b is not None]
    return max(known) if known else None


def is_stale(last_sign: dt.datetime | None, *, now: dt.datetime, limit_seconds: int) -> bool:
    """A running job whose worker has given no sign of life for longer than the limit is taken
    to be dead (its process stopped): a live worker beats every few seconds."""
    return last_sign is None or (now - last_sign).total_seconds() > limit_seconds


def recovery_of(attempts: int, max_attempts: int) -> str:
    """What recovery does with a dead job: run it again from scratch (a job is one
    transaction, so the dead run left nothing), unless it has had all its attempts."""
    return REQUEUE if attempts < max_attempts else GIVE_UP


def may_retry(state: str, attempts: int, max_attempts: int) -> bool:
    """A failed job may be started again by its user, as a new attempt, up to the limit."""
    return state == FAILED and attempts < max_attempts


def safe_link(link: object) -> str | None:
    """A result's link, shown only as a path on this site (never ``javascript:`` or another
    host), so that a job cannot put a foreign link on its page."""
    if isinstance(link, str) and link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return None
