"""Settings come from environment variables and fail loudly: a typo in a deployment stops
the process at start-up with a message naming the variable, and production refuses to
start with DEBUG on or a default or short secret key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from zhaoshang.env import ImproperlySetError, env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" * 20 + "-production-secret-0123456789"


@pytest.mark.parametrize("raw", ["1", "true", "Yes", " on "])
def test_env_bool_reads_true_words(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("ZS_TEST_FLAG", raw)
    assert env_bool("ZS_TEST_FLAG", False) is True


@pytest.mark.parametrize("raw", ["0", "false", "NO", "off", ""])
def test_env_bool_reads_false_words(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("ZS_TEST_FLAG", raw)
    assert env_bool("ZS_TEST_FLAG", True) is False


def test_env_bool_refuses_anything_else_and_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZS_TEST_FLAG", "maybe")
    with pytest.raises(ImproperlySetError, match=r"ZS_TEST_FLAG.*'maybe'"):
        env_bool("ZS_TEST_FLAG", False)


def test_env_int_reads_whole_numbers_and_refuses_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZS_TEST_NUMBER", "20971520")
    assert env_int("ZS_TEST_NUMBER", 1) == 20971520
    monkeypatch.setenv("ZS_TEST_NUMBER", "20MB")
    with pytest.raises(ImproperlySetError, match="ZS_TEST_NUMBER must be a whole number"):
        env_int("ZS_TEST_NUMBER", 1)


def test_unset_variables_give_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZS_TEST_UNSET", raising=False)
    assert env_str("ZS_TEST_UNSET", "x") == "x"
    assert env_bool("ZS_TEST_UNSET", True) is True
    assert env_int("ZS_TEST_UNSET", 7) == 7
    assert env_list("ZS_TEST_UNSET", ["a"]) == ["a"]


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZS_TEST_HOSTS", " zs.example.org, ,10.0.0.5 ,")
    assert env_list("ZS_TEST_HOSTS", []) == ["zs.example.org", "10.0.0.5"]


def _import_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter, as a server start would."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZS_") and k != "DATABASE_URL"}
    clean.update({"ZS_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", "import zhaoshang.settings"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_development_starts_with_no_variables_set(tmp_path: Path) -> None:
    result = _import_settings(tmp_path)
    assert result.returncode == 0, result.stderr


def test_production_refuses_debug_on(tmp_path: Path) -> None:
    result = _import_settings(tmp_path, ZS_PRODUCTION="1", ZS_DEBUG="1", ZS_SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "refuses to start with ZS_DEBUG on" in result.stderr


def test_production_refuses_debug_left_at_its_default(tmp_path: Path) -> None:
    result = _import_settings(tmp_path, ZS_PRODUCTION="1", ZS_SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "ZS_DEBUG" in result.stderr


def test_production_refuses_the_default_secret_key(tmp_path: Path) -> None:
    result = _import_settings(tmp_path, ZS_PRODUCTION="1", ZS_DEBUG="0")
    assert result.returncode != 0
    assert "ZS_SECRET_KEY" in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path: Path) -> None:
    result = _import_settings(tmp_path, ZS_PRODUCTION="1", ZS_DEBUG="0", ZS_SECRET_KEY="short-key")
    assert result.returncode != 0
    assert "at least 32 characters" in result.stderr


def test_production_starts_with_debug_off_and_a_long_secret_key(tmp_path: Path) -> None:
    result = _import_settings(tmp_path, ZS_PRODUCTION="1", ZS_DEBUG="0", ZS_SECRET_KEY=GOOD_KEY)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("ZS_DEBUG", "perhaps"), ("ZS_UPLOAD_MAX_BYTES", "20MB"), ("ZS_IMPORT_MAX_ROWS", "lots")],
)
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path: Path, name: str, value: str) -> None:
    result = _import_settings(tmp_path, **{name: value})
    assert result.returncode != 0
    assert "ImproperlySetError" in result.stderr
    assert name in result.stderr
