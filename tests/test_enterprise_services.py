"""Writes to the enterprise registry: validation, duplicates, rankings and the merge."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from stdnum.cn import uscc

from zhaoshang.core.audit import audit_context, history_for
from zhaoshang.core.models import ChangeAction, ChangeSource
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.enterprises.models import (
    ChainKind,
    ChainNode,
    Enterprise,
    EnterpriseContact,
    EnterpriseRanking,
    IndustryChain,
    IndustryCode,
    RankingList,
    Segment,
)
from zhaoshang.enterprises.selectors import active_enterprises, search_enterprises, similar_enterprises
from zhaoshang.enterprises.services import (
    PossibleDuplicate,
    clean_credit_code,
    contact_create,
    enterprise_create,
    enterprise_merge,
    enterprise_update,
    ranking_delete,
    ranking_set,
)
from zhaoshang.projects.models import Project
from zhaoshang.projects.services import project_create


def diff(row: Any) -> dict[str, tuple[Any, Any]]:
    """The stored before/after values that differ, by field name."""
    before, after = row.before or {}, row.after or {}
    return {k: (before.get(k), after.get(k)) for k in set(before) | set(after) if before.get(k) != after.get(k)}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are compared in English, whatever catalogue the default language has."""
    with translation.override("en"):
        yield


OLIVER = "郑州奥利弗电子科技有限公司"


def code(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17)


CODE_A = code("91410100MA44BCDEF")
CODE_B = code("91110108551385082")


def grams_of(e: Enterprise) -> set[str]:
    return set(Enterprise.objects.get(pk=e.pk).search_grams.split())


def found(term: str) -> set[str]:
    return set(search_enterprises(active_enterprises(), term).values_list("name", flat=True))


@pytest.fixture
def chain(db: Any) -> IndustryChain:
    return IndustryChain.objects.create(name="电子信息", kind=ChainKind.LEADING)


def node(chain: IndustryChain, name: str) -> ChainNode:
    return ChainNode.objects.create(chain=chain, name=name, segment=Segment.MIDSTREAM)


# --- create -------------------------------------------------------------------------------


def test_create_stores_normalised_facts_and_indexes_the_name(org: Any) -> None:
    industry = IndustryCode.objects.get(code="3971")
    with audit_context(user=org.officer_a, source=ChangeSource.WEB):
        e = enterprise_create(
            user=SYSTEM,
            data={
                "name": f"  {OLIVER} ",
                "credit_code": CODE_A.lower(),
                "industry": industry,
                "revenue": Decimal("52000.5"),
                "owner_unit": org.park_a,
                "not_a_field": "ignored",
            },
        )
    e = Enterprise.objects.get(pk=e.pk)
    assert e.name == OLIVER
    assert e.name_key == "郑州奥利弗电子科技"
    assert e.credit_code == CODE_A
    assert e.industry_id == "3971"
    assert e.revenue == Decimal("52000.50")
    assert {"郑州", "奥利", "电子"} <= grams_of(e)
    row = history_for(e)[0]
    assert (row.action, row.user_name, row.source) == (ChangeAction.CREATE, "officer_a", ChangeSource.WEB)
    assert row.after["credit_code"] == CODE_A
    assert row.after["revenue"] == "52000.50"


def test_create_rejects_a_bad_credit_code_and_names_it(db: Any) -> None:
    bad = CODE_A[:-1] + ("0" if CODE_A[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        enterprise_create(user=SYSTEM, data={"name": OLIVER, "credit_code": bad})
    messages = exc.value.message_dict["credit_code"]
    assert any(bad in m for m in messages)
    with pytest.raises(ValidationError) as exc:
        enterprise_create(user=SYSTEM, data={"name": OLIVER, "credit_code": "9141010012345"})
    assert "9141010012345" in exc.value.message_dict["credit_code"][0]
    assert not Enterprise.objects.exists()


def test_clean_credit_code_blank_is_none() -> None:
    assert clean_credit_code("") is None
    assert clean_credit_code(None) is None
    assert clean_credit_code(f" {CODE_B[:8]} {CODE_B[8:]} ") == CODE_B


def test_credit_code_is_unique(db: Any) -> None:
    enterprise_create(user=SYSTEM, data={"name": "三六零集团", "credit_code": CODE_B})
    with pytest.raises(ValidationError) as exc:
        enterprise_create(
            user=SYSTEM,
            data={"name": "完全不同的名字有限公司", "credit_code": CODE_B.lower()},
            confirm_not_duplicate=True,
        )
    message = exc.value.message_dict["credit_code"][0]
    assert CODE_B in message
    assert "三六零集团" in message
    assert Enterprise.objects.count() == 1


def test_many_enterprises_may_lack_a_credit_code(db: Any) -> None:
    enterprise_create(user=SYSTEM, data={"name": "甲科技有限公司", "credit_code": ""})
    enterprise_create(user=SYSTEM, data={"name": "乙能源有限公司"})
    assert list(Enterprise.objects.values_list("credit_code", flat=True)) == [None, None]


def test_a_duplicate_name_needs_confirmation(db: Any) -> None:
    """The duplicate rule: the same name key (legal form, width and punctuation aside)."""
    original = enterprise_create(user=SYSTEM, data={"name": OLIVER})
    with pytest.raises(PossibleDuplicate) as exc:
        enterprise_create(user=SYSTEM, data={"name": "郑州奥利弗电子科技股份有限公司"})
    assert exc.value.candidates == [original]
    assert OLIVER in exc.value.messages[0]
    assert Enterprise.objects.count() == 1
    confirmed = enterprise_create(
        user=SYSTEM, data={"name": "郑州奥利弗电子科技股份有限公司"}, confirm_not_duplicate=True
    )
    assert Enterprise.objects.count() == 2
    assert confirmed.pk != original.pk


def test_a_name_only_alike_is_recorded_and_suggested_for_a_merge(db: Any) -> None:
    """A typo is not the same name key, so the rule does not stop it (an import of thousands
    of names could not afford the likeness test, and the rule is one); the name is then
    suggested as possibly the same enterprise."""
    original = enterprise_create(user=SYSTEM, data={"name": OLIVER})
    typo = enterprise_create(user=SYSTEM, data={"name": "郑州奥利佛电子科技有限公司"})
    assert similar_enterprises(name=typo.name, exclude_id=typo.pk) == [original]


def test_a_different_enterprise_of_the_same_group_is_not_flagged(db: Any) -> None:
    enterprise_create(user=SYSTEM, data={"name": OLIVER})
    other = enterprise_create(user=SYSTEM, data={"name": "郑州奥利弗新能源有限公司"})
    assert other.pk


def test_a_merged_record_is_not_a_duplicate_candidate(db: Any) -> None:
    keep = enterprise_create(user=SYSTEM, data={"name": "三六零集团"})
    absorb = enterprise_create(user=SYSTEM, data={"name": "三六零集团有限公司"}, confirm_not_duplicate=True)
    enterprise_merge(user=SYSTEM, keep=keep, absorb=absorb)
    with pytest.raises(PossibleDuplicate) as exc:
        enterprise_create(user=SYSTEM, data={"name": "三六零集团股份有限公司"})
    assert exc.value.candidates == [keep]


def test_create_validates_model_fields(db: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        enterprise_create(user=SYSTEM, data={"name": "", "listing_exchange": "MOON"})
    assert {"name", "listing_exchange"} <= set(exc.value.message_dict)


# --- update -------------------------------------------------------------------------------


def test_update_reindexes_names(org: Any) -> None:
    e = enterprise_create(user=SYSTEM, data={"name": "北京奇虎科技有限公司"})
    assert found("奇虎") == {"北京奇虎科技有限公司"}
    with audit_context(user=org.coordinator):
        enterprise_update(
            user=SYSTEM, enterprise=e, data={"name": "三六零集团", "former_names": "北京奇虎科技有限公司"}
        )
    assert found("三六") == {"三六零集团"}
    assert found("奇虎") == {"三六零集团"}  # through the former name
    enterprise_update(user=SYSTEM, enterprise=e, data={"former_names": ""})
    assert found("奇虎") == set()
    assert "奇虎" not in grams_of(e)


def test_update_is_audited_with_before_and_after(org: Any) -> None:
    e = enterprise_create(user=SYSTEM, data={"name": "三六零集团", "revenue": Decimal("100")})
    with audit_context(user=org.coordinator, source=ChangeSource.WEB, request_id="upd-1"):
        enterprise_update(user=SYSTEM, enterprise=e, data={"revenue": Decimal("1200000"), "hq_province": "北京市"})
    row = history_for(e)[0]
    assert (row.action, row.user_name, row.request_id) == (ChangeAction.UPDATE, "coordinator", "upd-1")
    changes = diff(row)
    assert changes == {"revenue": ("100.00", "1200000.00"), "hq_province": ("", "北京")}  # kept in its short form
    assert Enterprise.objects.get(pk=e.pk).is_revenue_leader


def test_update_without_change_writes_no_history(db: Any) -> None:
    e = enterprise_create(user=SYSTEM, data={"name": "三六零集团", "revenue": Decimal("100")})
    enterprise_update(
        user=SYSTEM, enterprise=Enterprise.objects.get(pk=e.pk), data={"name": "三六零集团", "revenue": Decimal("100")}
    )
    assert len(history_for(e)) == 1


def test_update_keeps_credit_codes_unique_and_valid(db: Any) -> None:
    enterprise_create(user=SYSTEM, data={"name": "三六零集团", "credit_code": CODE_B})
    e = enterprise_create(user=SYSTEM, data={"name": OLIVER})
    with pytest.raises(ValidationError) as exc:
        enterprise_update(user=SYSTEM, enterprise=e, data={"credit_code": CODE_B})
    assert CODE_B in exc.value.message_dict["credit_code"][0]
    with pytest.raises(ValidationError):
        enterprise_update(user=SYSTEM, enterprise=e, data={"credit_code": "123"})
    assert Enterprise.objects.get(pk=e.pk).credit_code is None


def test_update_may_check_a_renamed_enterprise_for_duplicates(db: Any) -> None:
    enterprise_create(user=SYSTEM, data={"name": OLIVER})
    e = enterprise_create(user=SYSTEM, data={"name": "某某贸易有限公司"})
    with pytest.raises(PossibleDuplicate):
        enterprise_update(
            user=SYSTEM, enterprise=e, data={"name": "郑州奥利弗电子科技股份有限公司"}, confirm_not_duplicate=False
        )
    assert Enterprise.objects.get(pk=e.pk).name == "某某贸易有限公司"


def test_update_sets_chain_nodes(chain: IndustryChain) -> None:
    chips = node(chain, "芯片")
    e = enterprise_create(user=SYSTEM, data={"name": OLIVER}, chain_nodes=[chips])
    assert list(e.chain_nodes.all()) == [chips]
    enterprise_update(user=SYSTEM, enterprise=e, data={}, chain_nodes=[])
    assert not e.chain_nodes.exists()
    assert history_for(e)[0].before["chain_nodes"] == [chips.pk]


# --- rankings -----------------------------------------------------------------------------


def test_rankings_set_the_tag_flags(org: Any) -> None:
    e = enterprise_create(user=SYSTEM, data={"name": "三六零集团"})
    with audit_context(user=org.coordinator):
        ranking_set(user=SYSTEM, enterprise=e, list=RankingList.CHINA500, year=2022, rank=301)
        ranking_set(user=SYSTEM, enterprise=e, list=RankingList.PRIVATE500, year=2022, rank=120)
    e = Enterprise.objects.get(pk=e.pk)
    assert (e.is_fortune500, e.is_china500, e.is_private500) == (False, True, True)
    # Correcting the rank of the same list and year replaces it.
    ranking_set(user=SYSTEM, enterprise=e, list=RankingList.CHINA500, year=2022, rank=299)
    assert list(e.rankings.filter(list=RankingList.CHINA500).values_list("year", "rank")) == [(2022, 299)]
    rows = list(history_for(e))
    assert rows[0].message.endswith("#299")
    assert diff(rows[2]) == {"is_china500": (False, True), "rankings": ([], ["china500:2022:301"])}
    assert rows[2].user_name == "coordinator"


def test_removing_the_last_ranking_of_a_list_clears_its_flag(db: Any) -> None:
    e = enterprise_create(user=SYSTEM, data={"name": "三六零集团"})
    r2021 = ranking_set(user=SYSTEM, enterprise=e, list=RankingList.FORTUNE500, year=2021, rank=400)
    r2022 = ranking_set(user=SYSTEM, enterprise=e, list=RankingList.FORTUNE500, year=2022, rank=410)
    ranking_delete(user=SYSTEM, ranking=r2021)
    assert Enterprise.objects.get(pk=e.pk).is_fortune500
    ranking_delete(user=SYSTEM, ranking=r2022)
    assert not Enterprise.objects.get(pk=e.pk).is_fortune500


def test_a_ranking_on_an_unknown_list_is_refused(db: Any) -> None:
    e = enterprise_create(user=SYSTEM, data={"name": "三六零集团"})
    with pytest.raises(ValidationError):
        ranking_set(user=SYSTEM, enterprise=e, list="forbes", year=2022, rank=1)
    assert not EnterpriseRanking.objects.exists()


# --- merge --------------------------------------------------------------------------------


@pytest.fixture
def pair(org: Any, chain: IndustryChain) -> dict[str, Any]:
    chips, boards = node(chain, "芯片"), node(chain, "电路板")
    keep = enterprise_create(user=SYSTEM, data={"name": OLIVER, "owner_unit": org.park_a}, chain_nodes=[chips])
    absorb = enterprise_create(
        user=SYSTEM,
        data={
            "name": "郑州奥利弗电子科技股份有限公司",
            "former_names": "郑州奥利弗电器厂",
            "credit_code": CODE_A,
            "hq_province": "河南省",
            "revenue": Decimal("30000"),
        },
        chain_nodes=[boards],
        confirm_not_duplicate=True,
    )
    with audit_context(user=org.officer_a):
        project = project_create(
            data={"name": "电子元件项目", "enterprise": absorb, "lead_unit": org.park_a}, user=org.officer_a
        )
    contact = contact_create(user=SYSTEM, enterprise=absorb, unit=org.park_a, data={"name": "王经理"})
    ranking_set(user=SYSTEM, enterprise=absorb, list=RankingList.PRIVATE500, year=2022, rank=480)
    ranking_set(user=SYSTEM, enterprise=absorb, list=RankingList.CHINA500, year=2022, rank=490)
    ranking_set(user=SYSTEM, enterprise=keep, list=RankingList.CHINA500, year=2022, rank=488)
    return {"keep": keep, "absorb": absorb, "project": project, "contact": contact, "chips": chips, "boards": boards}


def test_merge_moves_every_reference(org: Any, pair: dict[str, Any]) -> None:
    keep, absorb = pair["keep"], pair["absorb"]
    with audit_context(user=org.coordinator, source=ChangeSource.WEB):
        result = enterprise_merge(user=SYSTEM, keep=keep, absorb=absorb)
    assert result.pk == keep.pk
    assert Project.objects.get(pk=pair["project"].pk).enterprise_id == keep.pk
    assert EnterpriseContact.objects.get(pk=pair["contact"].pk).enterprise_id == keep.pk
    # The survivor's own ranking wins where both had the same list and year.
    assert set(keep.rankings.values_list("list", "year", "rank")) == {
        (RankingList.CHINA500, 2022, 488),
        (RankingList.PRIVATE500, 2022, 480),
    }
    assert not EnterpriseRanking.objects.filter(enterprise=absorb).exists()
    assert set(keep.chain_nodes.all()) == {pair["chips"], pair["boards"]}
    assert not absorb.chain_nodes.exists()
    kept = Enterprise.objects.get(pk=keep.pk)
    assert (kept.is_china500, kept.is_private500) == (True, True)


def test_merge_keeps_absorbed_names_and_fills_blank_facts(pair: dict[str, Any]) -> None:
    enterprise_merge(user=SYSTEM, keep=pair["keep"], absorb=pair["absorb"])
    kept = Enterprise.objects.get(pk=pair["keep"].pk)
    assert kept.name == OLIVER
    assert kept.former_name_list() == ["郑州奥利弗电子科技股份有限公司", "郑州奥利弗电器厂"]
    assert kept.credit_code == CODE_A
    assert kept.hq_province == "河南"  # stored in its short form
    assert kept.revenue == Decimal("30000.00")
    assert found("电器厂") == {OLIVER}
    assert found("股份") == {OLIVER}


def test_merged_record_is_kept_with_its_history_but_leaves_the_active_registry(org: Any, pair: dict[str, Any]) -> None:
    absorb = pair["absorb"]
    with audit_context(user=org.coordinator, source=ChangeSource.WEB, request_id="merge-1"):
        enterprise_merge(user=SYSTEM, keep=pair["keep"], absorb=absorb)
    gone = Enterprise.objects.get(pk=absorb.pk)
    assert gone.merged_into_id == pair["keep"].pk
    assert gone.credit_code is None  # handed to the survivor
    assert not active_enterprises().filter(pk=absorb.pk).exists()
    assert not grams_of(gone)
    assert not (gone.is_china500 or gone.is_private500)
    absorb_rows = list(history_for(gone))
    assert absorb_rows[0].action == ChangeAction.MERGE
    assert OLIVER in absorb_rows[0].message
    assert absorb_rows[-1].action == ChangeAction.CREATE  # the earlier history is still there
    keep_row = history_for(pair["keep"])[0]
    assert keep_row.action == ChangeAction.MERGE
    assert "郑州奥利弗电子科技股份有限公司" in keep_row.message
    assert "projects.Project: 1" in keep_row.message
    assert {keep_row.request_id, absorb_rows[0].request_id} == {"merge-1"}
    assert keep_row.user_name == absorb_rows[0].user_name == "coordinator"
    assert keep_row.before["former_names"] == ""
    assert "郑州奥利弗电器厂" in keep_row.after["former_names"]


def test_merge_refuses_self_merge(pair: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="itself"):
        enterprise_merge(user=SYSTEM, keep=pair["keep"], absorb=pair["keep"])


def test_merge_refuses_a_second_merge_even_from_a_stale_copy(pair: dict[str, Any]) -> None:
    stale = Enterprise.objects.get(pk=pair["absorb"].pk)
    enterprise_merge(user=SYSTEM, keep=pair["keep"], absorb=pair["absorb"])
    with pytest.raises(ValidationError, match="already been merged"):
        enterprise_merge(user=SYSTEM, keep=pair["keep"], absorb=stale)
    with pytest.raises(ValidationError, match="already been merged"):
        enterprise_merge(user=SYSTEM, keep=pair["keep"], absorb=pair["absorb"])
    assert history_for(pair["keep"])[0].action == ChangeAction.MERGE
    assert len([r for r in history_for(pair["keep"]) if r.action == ChangeAction.MERGE]) == 1


def test_merge_refuses_a_merged_survivor(db: Any) -> None:
    a = enterprise_create(user=SYSTEM, data={"name": "甲科技有限公司"})
    b = enterprise_create(user=SYSTEM, data={"name": "乙能源有限公司"})
    c = enterprise_create(user=SYSTEM, data={"name": "丙材料有限公司"})
    enterprise_merge(user=SYSTEM, keep=a, absorb=b)
    with pytest.raises(ValidationError):
        enterprise_merge(user=SYSTEM, keep=Enterprise.objects.get(pk=b.pk), absorb=c)
    assert Enterprise.objects.get(pk=c.pk).merged_into_id is None


def test_records_merged_earlier_follow_to_the_new_survivor(db: Any) -> None:
    a = enterprise_create(user=SYSTEM, data={"name": "甲科技有限公司"})
    b = enterprise_create(user=SYSTEM, data={"name": "乙能源有限公司"})
    c = enterprise_create(user=SYSTEM, data={"name": "丙材料有限公司"})
    enterprise_merge(user=SYSTEM, keep=b, absorb=c)
    enterprise_merge(user=SYSTEM, keep=a, absorb=b)
    assert Enterprise.objects.get(pk=c.pk).merged_into_id == a.pk
    assert Enterprise.objects.get(pk=a.pk).former_name_list() == ["乙能源有限公司", "丙材料有限公司"]
