"""Search of the registry by Chinese substring over names and former names, with filters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhaoshang.core.scoping import SYSTEM
from zhaoshang.enterprises import search_index
from zhaoshang.enterprises.models import Enterprise, Exchange, RankingList, SmeLevel
from zhaoshang.enterprises.rules import index_text
from zhaoshang.enterprises.selectors import TAG_FILTERS, active_enterprises, search_enterprises
from zhaoshang.enterprises.services import enterprise_create, enterprise_merge, ranking_set


def add(name: str, **data: Any) -> Enterprise:
    return enterprise_create(user=SYSTEM, data={"name": name, **data}, confirm_not_duplicate=True)


@pytest.fixture
def registry(db: Any) -> dict[str, Enterprise]:
    e = {
        "360": add("三六零集团", former_names="北京奇虎科技有限公司\n奇虎360"),
        "oliver": add("郑州奥利弗电子科技有限公司", sme_level=SmeLevel.PROVINCIAL),
        "tongda": add("郑州市通达氧应用开发有限公司", sme_level=SmeLevel.NATIONAL),
        # Holds the grams 奥利 and 利弗 and 电子 and 科技, but none of the searched substrings.
        "decoy": add("奥利新材料利弗科技电子有限公司"),
        "listed": add("上海电子科技股份有限公司", listing_exchange=Exchange.SSE, ticker="600000"),
        "unicorn": add("深圳独角兽科技有限公司", is_unicorn=True),
        "leader": add("洛阳龙头电子有限公司", is_industry_leader=True),
        "big": add("百亿电子集团", revenue=Decimal("1000000")),
        "almost": add("差一点电子集团", revenue=Decimal("999999.99")),
        "muni": add("开封市科技有限公司", sme_level=SmeLevel.MUNICIPAL),
        "latin": add("ACME Robotics 科技有限公司"),
    }
    ranking_set(user=SYSTEM, enterprise=e["360"], list=RankingList.CHINA500, year=2022, rank=301)
    ranking_set(user=SYSTEM, enterprise=e["listed"], list=RankingList.FORTUNE500, year=2023, rank=450)
    ranking_set(user=SYSTEM, enterprise=e["oliver"], list=RankingList.PRIVATE500, year=2023, rank=499)
    return e


def found(term: str, qs: Any = None) -> set[str]:
    base = active_enterprises() if qs is None else qs
    return set(search_enterprises(base, term).values_list("name", flat=True))


def test_two_chinese_characters_find_names(registry: dict[str, Enterprise]) -> None:
    assert found("郑州") == {"郑州奥利弗电子科技有限公司", "郑州市通达氧应用开发有限公司"}
    assert found("通达") == {"郑州市通达氧应用开发有限公司"}
    assert found("弗电") == {"郑州奥利弗电子科技有限公司"}


def test_two_characters_find_former_names(registry: dict[str, Enterprise]) -> None:
    assert found("奇虎") == {"三六零集团"}
    assert found("虎3") == {"三六零集团"}


def test_longer_terms(registry: dict[str, Enterprise]) -> None:
    assert found("奥利弗") == {"郑州奥利弗电子科技有限公司"}
    assert found("奥利弗电子科技") == {"郑州奥利弗电子科技有限公司"}
    assert found("通达氧应用开发有限公司") == {"郑州市通达氧应用开发有限公司"}
    assert found("北京奇虎科技") == {"三六零集团"}
    assert found("三六零集团") == {"三六零集团"}


def test_a_name_with_every_gram_but_not_the_substring_is_not_found(registry: dict[str, Enterprise]) -> None:
    assert "奥利新材料利弗科技电子有限公司" not in found("奥利弗")
    assert "奥利新材料利弗科技电子有限公司" not in found("电子科技")
    assert found("电子科技") == {"郑州奥利弗电子科技有限公司", "上海电子科技股份有限公司"}


def test_nothing_is_found_for_an_absent_term(registry: dict[str, Enterprise]) -> None:
    assert found("华为") == set()
    assert found("零一") == set()


def test_one_character_falls_back_to_a_scan(registry: dict[str, Enterprise]) -> None:
    assert found("零") == {"三六零集团"}
    assert found("氧") == {"郑州市通达氧应用开发有限公司"}


def test_latin_letters_match_regardless_of_case(registry: dict[str, Enterprise]) -> None:
    assert found("acme") == {"ACME Robotics 科技有限公司"}
    assert found("Robotics") == {"ACME Robotics 科技有限公司"}


def test_blank_term_returns_everything(registry: dict[str, Enterprise]) -> None:
    assert found("  ") == {e.name for e in registry.values()}


def test_search_combined_with_a_tag_filter(registry: dict[str, Enterprise]) -> None:
    tagged = active_enterprises().filter(TAG_FILTERS["fortune500"])
    assert found("电子", tagged) == {"上海电子科技股份有限公司"}
    assert found("科技", active_enterprises().filter(TAG_FILTERS["private500"])) == {"郑州奥利弗电子科技有限公司"}
    assert found("奇虎", active_enterprises().filter(TAG_FILTERS["china500"])) == {"三六零集团"}
    assert found("奇虎", active_enterprises().filter(TAG_FILTERS["fortune500"])) == set()


@pytest.mark.parametrize(
    ("tag", "names"),
    [
        ("listed", {"上海电子科技股份有限公司"}),
        ("unicorn", {"深圳独角兽科技有限公司"}),
        ("leader", {"洛阳龙头电子有限公司"}),
        ("revenue_leader", {"百亿电子集团"}),
        ("sme", {"郑州奥利弗电子科技有限公司", "郑州市通达氧应用开发有限公司", "开封市科技有限公司"}),
        ("sme_national", {"郑州市通达氧应用开发有限公司"}),
        ("sme_provincial", {"郑州奥利弗电子科技有限公司"}),
        ("sme_municipal", {"开封市科技有限公司"}),
    ],
)
def test_each_tag_filter(registry: dict[str, Enterprise], tag: str, names: set[str]) -> None:
    assert set(active_enterprises().filter(TAG_FILTERS[tag]).values_list("name", flat=True)) == names


def test_revenue_leader_filter_agrees_with_the_property(registry: dict[str, Enterprise]) -> None:
    flagged = set(active_enterprises().filter(TAG_FILTERS["revenue_leader"]).values_list("pk", flat=True))
    assert flagged == {e.pk for e in Enterprise.objects.all() if e.is_revenue_leader}


def test_merged_records_are_excluded(registry: dict[str, Enterprise]) -> None:
    keep = add("三六零科技集团有限公司")
    enterprise_merge(user=SYSTEM, keep=keep, absorb=registry["360"])
    # The absorbed record's names now live on the survivor.
    assert found("奇虎") == {"三六零科技集团有限公司"}
    assert found("三六零") == {"三六零科技集团有限公司"}
    assert found("零") == {"三六零科技集团有限公司"}
    assert not active_enterprises().filter(pk=registry["360"].pk).exists()


def test_search_respects_the_scope(org: Any, registry: dict[str, Enterprise]) -> None:
    assert found("郑州", Enterprise.objects.restrict(org.officer_b)) == {
        "郑州奥利弗电子科技有限公司",
        "郑州市通达氧应用开发有限公司",
    }
    assert found("郑州", Enterprise.objects.restrict(AnonymousUser())) == set()


def test_search_with_a_filter_is_one_query(registry: dict[str, Enterprise]) -> None:
    # The full-text index is part of the page's own query: nothing is fetched first.
    for term in ("电子", "奥利弗电子科技", "零"):
        with CaptureQueriesContext(connection) as ctx:
            list(search_enterprises(active_enterprises().filter(TAG_FILTERS["private500"]), term))
        assert len(ctx.captured_queries) == 1, term


@pytest.mark.parametrize("term", ["郑州", "奥利弗电子科技", "三六零", "电子", "虎3", "acme", "科技有限", "利弗科"])
def test_the_index_finds_exactly_what_a_full_scan_finds(registry: dict[str, Enterprise], term: str) -> None:
    """Whatever the index narrows, the answer is every active name or former name that
    holds the substring, and nothing else."""
    folded = term.lower()
    scan = {e.name for e in active_enterprises() if folded in e.name.lower() or folded in e.former_names.lower()}
    assert found(term) == scan and scan


def test_records_written_without_the_services_are_found(registry: dict[str, Enterprise]) -> None:
    """The index follows the table itself (bulk imports write rows directly)."""
    Enterprise.objects.filter(pk=registry["muni"].pk).update(
        name="开封市新名字有限公司", search_grams=index_text("开封市新名字有限公司", "")
    )
    assert found("新名") == {"开封市新名字有限公司"}
    assert found("开封") == {"开封市新名字有限公司"}
    Enterprise.objects.filter(pk=registry["muni"].pk).delete()
    assert found("新名") == set()


def test_the_index_is_rebuilt_when_the_database_lost_it(registry: dict[str, Enterprise]) -> None:
    """Altering the table on SQLite drops its triggers; the check after every migrate puts
    them back and indexes what was written meanwhile."""
    if connection.vendor == "postgresql":
        # Deferred foreign-key checks of the test's own writes must run before DDL.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    search_index.uninstall(connection)
    assert search_index.install(connection) is True
    assert search_index.install(connection) is False
    assert found("通达") == {"郑州市通达氧应用开发有限公司"}
    add("新乡通达电缆有限公司")
    assert found("通达") == {"郑州市通达氧应用开发有限公司", "新乡通达电缆有限公司"}


def test_imported_enterprises_are_found_and_later_ones_too(registry: dict[str, Enterprise], org: Any) -> None:
    """An import indexes its new rows in one statement (the per-row trigger paused inside its
    transaction); afterwards the trigger works again for every other write."""
    from zhaoshang.core.tabular.engine import run_import

    data = "企业名称,曾用名\n洛阳栾川钼业集团股份有限公司,洛阳钼业\n新乡化纤股份有限公司,\n".encode()
    result = run_import(resource="enterprises", data=data, filename="e.csv", user=org.coordinator, commit=True)
    assert result.ok and result.created == 2
    assert found("钼业") == {"洛阳栾川钼业集团股份有限公司"}
    assert found("化纤") == {"新乡化纤股份有限公司"}
    add("新乡白鹭化纤集团有限责任公司")
    assert found("化纤") == {"新乡化纤股份有限公司", "新乡白鹭化纤集团有限责任公司"}
