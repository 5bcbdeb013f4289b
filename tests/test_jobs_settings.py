"""The job settings are read like every other: a backend's name out of a fixed set (a typo
stops the start-up naming the variable), the cache in files under the data folder with
nothing installed, or in Redis when ZS_REDIS_URL is set."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_settings import ROOT, _import_settings
from zhaoshang.env import ImproperlySetError, env_choice

PRINT = (
    "import json, zhaoshang.settings as s; print(json.dumps([s.ZS_JOBS_BACKEND, s.ZS_JOBS_THREADS, "
    "s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'], s.CELERY_BROKER_URL]))"
)


def test_env_choice_reads_one_word_of_a_set_and_refuses_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZS_TEST_BACKEND", " Celery ")
    assert env_choice("ZS_TEST_BACKEND", "thread", ("thread", "celery")) == "celery"
    monkeypatch.setenv("ZS_TEST_BACKEND", "")
    assert env_choice("ZS_TEST_BACKEND", "thread", ("thread", "celery")) == "thread"
    monkeypatch.setenv("ZS_TEST_BACKEND", "threads")
    with pytest.raises(ImproperlySetError, match=r"ZS_TEST_BACKEND must be one of thread, celery, not 'threads'"):
        env_choice("ZS_TEST_BACKEND", "thread", ("thread", "celery"))


def test_a_mistyped_job_backend_stops_the_start_up_naming_the_variable(tmp_path: Path) -> None:
    result = _import_settings(tmp_path, ZS_JOBS_BACKEND="threads")
    assert result.returncode != 0 and "ZS_JOBS_BACKEND must be one of" in result.stderr


def test_jobs_default_to_a_thread_and_a_file_cache_and_move_to_redis_when_asked(tmp_path: Path) -> None:
    def read(**env: str) -> list[object]:
        clean = {"PATH": "/usr/bin:/bin", "ZS_DATA_DIR": str(tmp_path), **env}
        out = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
            [sys.executable, "-c", PRINT], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=True
        )
        return json.loads(out.stdout)  # type: ignore[no-any-return]

    assert read() == [
        "thread",
        1,
        "django.core.cache.backends.filebased.FileBasedCache",
        str(tmp_path / "cache"),
        "redis://127.0.0.1:6379/0",
    ]
    assert read(
        ZS_JOBS_BACKEND="celery",
        ZS_JOBS_THREADS="4",
        ZS_REDIS_URL="redis://127.0.0.1:6379/3",
        ZS_JOBS_BROKER_URL="redis://127.0.0.1:6379/2",
    ) == [
        "celery",
        4,
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6379/3",
        "redis://127.0.0.1:6379/2",
    ]
