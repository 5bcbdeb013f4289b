"""Pure rules of the registry: name keys, search grams, near-duplicate names, revenue tag.

No database: these run in batch during imports."""

from __future__ import annotations

import ast
import inspect
from decimal import Decimal

import pytest

from zhaoshang.enterprises import rules
from zhaoshang.enterprises.rules import (
    bigrams,
    is_near_duplicate,
    is_revenue_leader,
    likeness,
    name_key,
    names_for_index,
    query_grams,
    split_former_names,
)

OLIVER = "郑州奥利弗电子科技有限公司"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        (OLIVER, "郑州奥利弗电子科技"),
        ("郑州奥利弗电子科技股份有限公司", "郑州奥利弗电子科技"),
        ("郑州奥利弗电子科技有限责任公司", "郑州奥利弗电子科技"),
        ("三六零集团", "三六零"),
        ("三六零集团有限公司", "三六零"),
        ("三六零集团股份有限公司", "三六零"),
        ("三六零股份公司", "三六零"),
        ("三六零集团公司", "三六零"),
        ("Acme Co., Ltd.", "acme"),
        ("ACME Group Inc.", "acme"),
        ("ＡＢＣ科技有限公司", "abc科技"),
        ("郑州市 通达·氧应用开发有限公司", "郑州市通达氧应用开发"),
    ],
)
def test_name_key_drops_legal_forms_width_case_and_punctuation(name: str, key: str) -> None:
    assert name_key(name) == key


def test_full_width_and_half_width_brackets_give_the_same_key() -> None:
    assert name_key("郑州奥利弗（集团）有限公司") == name_key("郑州奥利弗(集团)有限公司") == "郑州奥利弗"
    assert name_key("郑州奥利弗【电子】有限公司") == name_key("郑州奥利弗[电子]有限公司")


def test_name_key_keeps_a_name_that_is_only_a_legal_form() -> None:
    # Never reduced to nothing or to a single character.
    assert name_key("集团") == "集团"
    assert name_key("公司") == "公司"
    assert len(name_key("有限公司")) >= 2
    assert name_key("") == ""


def test_bigrams_overlap_and_fold() -> None:
    assert bigrams("三六零") == {"三六", "六零"}
    assert bigrams("三六零集团") == {"三六", "六零", "零集", "集团"}
    assert bigrams("ＡＢ c") == {"ab", "bc"}
    assert bigrams("（奥）利") == {"奥利"}
    assert bigrams("零") == {"零"}
    assert bigrams("") == set()


def test_query_grams_cover_the_term() -> None:
    assert query_grams("奥利") == ["奥利"]
    assert query_grams("奥利弗") == ["利弗", "奥利"]
    assert set(query_grams("奥利弗电子")) == {"奥利", "弗电", "电子"}
    assert query_grams("AB") == ["ab"]
    # One character cannot use the index.
    assert query_grams("奥") == []
    assert query_grams("") == []


@pytest.mark.parametrize("term", ["奥利弗电子", "电子科技有", "州奥利弗电子科技", "科技有限公司"])
def test_every_query_gram_is_in_the_index_of_a_matching_name(term: str) -> None:
    assert set(query_grams(term)) <= bigrams(OLIVER)
    # Together the query grams cover every character of the term.
    covered = "".join(query_grams(term))
    assert set(term) <= set(covered)


def test_names_for_index_includes_former_names() -> None:
    grams = names_for_index("三六零集团", "奇虎360科技\n北京奇虎科技有限公司")
    assert {"三六", "奇虎", "虎3", "36", "60", "北京"} <= grams


def test_split_former_names_on_any_separator() -> None:
    assert split_former_names("甲公司\n乙公司；丙公司, 丁公司、戊公司;\n\n") == [
        "甲公司",
        "乙公司",
        "丙公司",
        "丁公司",
        "戊公司",
    ]
    assert split_former_names("") == []


def test_legal_form_variants_are_near_duplicates() -> None:
    assert likeness(OLIVER, "郑州奥利弗电子科技股份有限公司") == 1.0
    assert is_near_duplicate(OLIVER, "郑州奥利弗电子科技股份有限公司")
    assert is_near_duplicate(OLIVER, "郑州奥利弗电子科技（有限公司）")
    assert is_near_duplicate("三六零集团", "三六零集团有限公司")


def test_a_one_character_typo_is_a_near_duplicate() -> None:
    assert is_near_duplicate(OLIVER, "郑州奥利佛电子科技有限公司")


def test_a_different_business_of_the_same_group_is_not_a_duplicate() -> None:
    assert not is_near_duplicate(OLIVER, "郑州奥利弗新能源有限公司")
    assert likeness(OLIVER, "郑州奥利弗新能源有限公司") < 0.7


def test_the_same_name_in_another_city_is_not_a_duplicate() -> None:
    assert not is_near_duplicate(OLIVER, "洛阳奥利弗电子科技有限公司")


def test_unrelated_names_and_empty_names_are_not_alike() -> None:
    assert likeness("三六零集团", "郑州市通达氧应用开发有限公司") < 0.3
    assert likeness("", OLIVER) == 0.0
    assert not is_near_duplicate("", "")


def test_likeness_is_symmetric_for_the_duplicate_decision() -> None:
    pairs = [(OLIVER, "郑州奥利佛电子科技有限公司"), (OLIVER, "郑州奥利弗新能源有限公司")]
    for a, b in pairs:
        assert is_near_duplicate(a, b) == is_near_duplicate(b, a)


def test_revenue_leader_threshold_is_exactly_one_million_wan() -> None:
    assert is_revenue_leader(Decimal("1000000"))
    assert is_revenue_leader(Decimal("1000000.00"))
    assert is_revenue_leader(Decimal("2500000"))
    assert not is_revenue_leader(Decimal("999999.99"))
    assert not is_revenue_leader(None)
    assert not is_revenue_leader(Decimal("0"))


def test_rules_import_no_model_and_no_database() -> None:
    tree = ast.parse(inspect.getsource(rules))
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert not [m for m in imported if m and (m.startswith("django.db") or m.endswith("models"))]


@pytest.mark.parametrize(
    "text",
    [
        "郑州奥利弗电子科技有限公司",
        "三六零（北京）科技有限公司",
        "ＡＣＭＥ　Ｒｏｂｏｔｉｃｓ（郑州）有限公司",
        "洛阳Ｌｉｇｈｔ－Ｔｅｃｈ，新材料【集团】",
        "Ｏｌｉｖｅｒ＆Ｃｏ．，Ｌｔｄ．",
        "①号工厂 ㈱株式会社",
        "",
    ],
)
def test_folding_skips_normalising_only_where_it_changes_nothing(text: str) -> None:
    """Names are folded as NFKC, lower case, without punctuation, whichever way is quicker."""
    import unicodedata

    from zhaoshang.enterprises.rules import _PUNCT, _fold

    assert _fold(text) == _PUNCT.sub("", unicodedata.normalize("NFKC", text).lower())


@pytest.mark.parametrize(
    ("name", "former"),
    [
        ("三六零集团股份有限公司", "奇虎360;北京奇虎科技有限公司"),
        ("（郑州）奥利弗电子科技有限公司", ""),
        ("ＡＢＣ　Co., Ltd.", "abc group\n甲"),
        ("集团", ""),
        ("甲", "乙"),
        ("", ""),
    ],
)
def test_folding_a_name_once_gives_the_same_key_and_search_text(name: str, former: str) -> None:
    """An import folds each new name once for its key and its grams; the result must be
    what the registry's own form would store."""
    folded = rules.fold_name(name)
    assert rules.key_of_folded(folded) == rules.name_key(name)
    assert rules.index_text_of_folded(folded, former) == rules.index_text(name, former)
