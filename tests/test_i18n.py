"""The UI speaks Simplified Chinese by default and English on switch, and the zh-Hans catalogue
translates every string of the code, so an untranslated label never reaches the zone's staff."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path
from typing import Any

import polib
import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import client_for
from zhaoshang.core import compilemessages

PACKAGE = Path(__file__).resolve().parent.parent / "zhaoshang"
CATALOGUE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")

# The .mo files are build products (git-ignored).  Compiling at collection, before any test
# loads a catalogue, means a run straight after editing the .po sees the new translations.
compilemessages.main()

PAGES = ["home", "enterprises:list", "projects:kanban"]
# The names makemessages (xgettext with Django's keywords) extracts strings from.
EXTRACTED_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}


def catalogue_entries(path: Path = CATALOGUE) -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(path)) if not e.obsolete]


def translation_of(entry: polib.POEntry) -> str:
    return entry.msgstr_plural.get(0, "") if entry.msgid_plural else entry.msgstr


def untranslated(entries: list[polib.POEntry]) -> list[str]:
    return [e.msgid for e in entries if not translation_of(e) or "fuzzy" in e.flags]


def page(client: Any, name: str) -> str:
    response = client.get(reverse(name))
    assert response.status_code == 200, name
    return response.content.decode()


def test_pages_are_in_simplified_chinese_by_default(org: Any) -> None:
    c = client_for(org.officer_a)
    home = page(c, "home")
    assert "我的工作台" in home and "企业库" in home and "看板" in home
    assert "My projects" not in home
    registry = page(c, "enterprises:list")
    assert "企业库" in registry and "统一社会信用代码" in registry
    assert "Enterprise registry" not in registry
    kanban = page(c, "projects:kanban")
    for stage in ("线索", "接洽", "洽谈", "评审", "签约", "注册落地", "拿地", "开工", "投产", "达产", "暂缓", "终止"):
        assert stage in kanban, stage
    assert "Project kanban" not in kanban and ">negotiating<" not in kanban


def test_a_browser_asking_for_zh_cn_gets_simplified_chinese(org: Any) -> None:
    c = client_for(org.officer_a)
    response = c.get(reverse("projects:kanban"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.8")
    assert "项目看板" in response.content.decode()


def test_switching_to_english_and_back(org: Any) -> None:
    c = client_for(org.officer_a)
    response = c.post("/i18n/setlang/", {"language": "en", "next": reverse("projects:kanban")})
    assert response.status_code == 302 and response.url == reverse("projects:kanban")
    home, registry, kanban = (page(c, name) for name in PAGES)
    assert "My projects" in home and "我的工作台" not in home
    assert "Enterprise registry" in registry and "企业库" not in registry
    assert "Project kanban" in kanban
    for stage in ("lead", "negotiating", "signed", "at full capacity", "on hold"):
        assert f">{stage}<" in kanban, stage
    assert "洽谈" not in kanban and "签约" not in kanban

    c.post("/i18n/setlang/", {"language": "zh-hans"})
    assert "洽谈" in page(c, "projects:kanban")


def test_catalogue_header_declares_chinese_with_one_plural_form() -> None:
    meta = polib.pofile(str(CATALOGUE)).metadata
    assert meta["Language"] == "zh_Hans"
    assert meta["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert "charset=UTF-8" in meta["Content-Type"]


def test_every_msgid_in_the_catalogue_is_translated() -> None:
    entries = catalogue_entries()
    assert entries
    assert untranslated(entries) == []


def test_translations_keep_every_placeholder() -> None:
    # A translation that drops or renames %(name)s raises KeyError when the message is shown.
    wrong = []
    for e in catalogue_entries():
        if "python-format" not in e.flags:
            continue
        want = sorted(PLACEHOLDER.findall(e.msgid_plural or e.msgid))
        if sorted(PLACEHOLDER.findall(translation_of(e))) != want:
            wrong.append(e.msgid)
    assert wrong == []


def test_translation_functions_are_imported_under_names_makemessages_extracts() -> None:
    # `from django.utils.translation import gettext as _g` works at run time, but xgettext does
    # not know `_g`: its strings never reach the catalogue and stay English in the Chinese UI.
    hidden = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                for alias in node.names:
                    bound = alias.asname or alias.name
                    if alias.name in EXTRACTED_NAMES and bound not in EXTRACTED_NAMES:
                        hidden.append(f"{path.relative_to(PACKAGE.parent)}: {alias.name} as {bound}")
    assert hidden == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_the_catalogue_covers_every_string_of_the_code(tmp_path: Path, monkeypatch: Any, settings: Any) -> None:
    # makemessages on a copy of the package, so a string added to the code but not yet
    # extracted and translated fails here, and the real catalogue is left untouched.
    copy = tmp_path / "zhaoshang"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, no_location=True, verbosity=0)
    assert untranslated(catalogue_entries(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")) == []
