"""The demo data a newcomer sees after ``make demo``: the zone's organisation, its logins,
三六零集团 and its projects, every stage of the pipeline, all of it audited and loaded once."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from io import StringIO

from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import TestCase
from django.utils import translation

from zhaoshang.core.audit import audit_context
from zhaoshang.core.models import ChangeLog
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.core.values import credit_code_is_valid
from zhaoshang.demo.data import DEMO_PASSWORD
from zhaoshang.enterprises.filtersets import PROVINCES
from zhaoshang.enterprises.models import ChainNode, Enterprise, EnterpriseRanking, IndustryChain
from zhaoshang.enterprises.selectors import active_enterprises, search_enterprises, similar_enterprises
from zhaoshang.enterprises.services import enterprise_merge
from zhaoshang.org.models import Membership, Unit
from zhaoshang.projects import rules
from zhaoshang.projects.models import Project, ProjectCredit, StageChange
from zhaoshang.projects.services import MoveRefused, project_move, project_update


def _load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


class DemoDataTests(TestCase):
    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        cls.output = _load()

    def test_the_1_5_n_organisation_is_loaded(self) -> None:
        kinds = defaultdict(list)
        for unit in Unit.objects.all():
            kinds[unit.kind].append(unit)
        assert len(kinds["promotion_centre"]) == 1
        assert len(kinds["park_operator"]) >= 1
        assert len(kinds["holding_group"]) == 1
        assert len(kinds["state_platform"]) >= 2
        assert len(kinds["market_agency"]) >= 2
        assert len(kinds["subdistrict"]) >= 1
        assert {u.region for u in kinds["outpost"]} == {"jingjinji", "yangtze_delta", "greater_bay"}

    def test_demo_logins_work_with_their_roles(self) -> None:
        roles = {}
        for username in ("leader", "coordinator", "park1", "officer1", "officer2", "viewer"):
            user = authenticate(username=username, password=DEMO_PASSWORD)
            assert user is not None, username
            roles[username] = Membership.objects.select_related("unit").get(user=user)
            assert username in self.output
        assert roles["leader"].role == "leader"
        assert roles["coordinator"].role == "coordinator"
        assert roles["coordinator"].unit.kind == "promotion_centre"
        assert roles["park1"].role == "unit_manager"
        assert roles["park1"].unit.kind == "park_operator"
        assert roles["officer1"].role == "officer"
        assert roles["officer1"].unit == roles["park1"].unit
        assert roles["officer2"].unit.kind == "park_operator"
        assert roles["officer2"].unit != roles["park1"].unit
        assert roles["viewer"].role == "viewer"

    def test_officer_of_another_park_sees_nothing_of_park1s_own_projects(self) -> None:
        user_model = get_user_model()
        park1 = Membership.objects.get(user__username="park1").unit
        officer2 = user_model.objects.get(username="officer2")
        park2 = Membership.objects.get(user=officer2).unit
        own = Project.objects.filter(lead_unit=park1).exclude(credits__unit=park2).exclude(members__user=officer2)
        assert own.exists()
        assert not Project.objects.restrict(officer2).filter(pk__in=own.values("pk")).exists()
        assert (
            Project.objects.restrict(user_model.objects.get(username="park1")).filter(pk__in=own.values("pk")).exists()
        )

    def test_360_is_found_with_its_landed_and_negotiating_projects(self) -> None:
        hits = list(search_enterprises(active_enterprises(), "三六零"))
        assert [e.name for e in hits] == ["三六零安全科技股份有限公司"]
        qihoo = hits[0]
        assert (qihoo.listing_exchange, qihoo.ticker) == ("SSE", "601360")
        assert credit_code_is_valid(qihoo.credit_code)
        assert search_enterprises(active_enterprises(), "三六零集团").get() == qihoo  # by its group name
        stages = {p.name: p.stage for p in Project.objects.filter(enterprise=qihoo)}
        base = next(name for name in stages if "网络安全基地" in name)
        hq = next(name for name in stages if "总部" in name)
        assert stages[base] in rules.LANDED_STAGES
        assert stages[hq] in rules.LANDED_STAGES
        research = [name for name in stages if "研究院" in name or "能力中心" in name]
        assert len(research) == 2
        assert all(stages[name] == rules.NEGOTIATING for name in research)

    def test_the_documents_enterprises_and_hundreds_of_others_are_registered(self) -> None:
        names = set(Enterprise.objects.values_list("name", flat=True))
        assert {"郑州奥利弗电子科技有限公司", "郑州市通达氧应用开发有限公司"} <= names
        assert active_enterprises().count() >= 300
        codes = Enterprise.objects.exclude(credit_code=None).values_list("credit_code", flat=True)
        assert all(credit_code_is_valid(code) for code in codes)
        assert all(len(code) == 4 for code in Enterprise.objects.values_list("industry_id", flat=True))
        lists = set(EnterpriseRanking.objects.values_list("list", flat=True))
        assert lists == {"fortune500", "china500", "private500"}
        assert Enterprise.objects.filter(is_unicorn=True).exists()
        assert Enterprise.objects.exclude(sme_level="").exists()

    def test_every_headquarters_province_is_one_the_filter_offers(self) -> None:
        provinces = set(Enterprise.objects.values_list("hq_province", flat=True))
        assert provinces <= set(PROVINCES)

    def test_the_duplicate_left_for_practice_is_flagged_and_merges(self) -> None:
        original = Enterprise.objects.get(name="郑州奥利弗电子科技有限公司")
        duplicate = Enterprise.objects.get(name="郑州奥利弗电子科技公司")
        assert original in similar_enterprises(name=duplicate.name, exclude_id=duplicate.pk)
        with audit_context(user=get_user_model().objects.get(username="coordinator"), source="web"):
            enterprise_merge(user=SYSTEM, keep=original, absorb=duplicate)
        assert search_enterprises(active_enterprises(), "奥利弗").get() == original

    def test_the_guides_example_move_needs_the_planned_investment_first(self) -> None:
        coordinator = get_user_model().objects.get(username="coordinator")
        project = Project.objects.restrict(coordinator, "change").get(name="三六零城市板块上市主体落地")
        with translation.override("en"), audit_context(user=coordinator, source="web"):
            try:
                project_move(project=project, target=rules.NEGOTIATING, user=coordinator)
            except MoveRefused as refused:
                assert refused.reasons == ["Missing: planned total investment"]
            else:
                raise AssertionError("the move should have been refused")
            project_update(user=SYSTEM, project=project, data={"planned_investment": Decimal("50000")})
            project_move(project=project, target=rules.NEGOTIATING, user=coordinator)
        assert Project.objects.get(pk=project.pk).stage == rules.NEGOTIATING

    def test_leading_and_future_chains_have_all_segments_and_members(self) -> None:
        assert set(IndustryChain.objects.values_list("kind", flat=True)) == {"leading", "future"}
        for chain in IndustryChain.objects.all():
            segments = set(chain.nodes.values_list("segment", flat=True))
            assert segments == {"upstream", "midstream", "downstream"}, chain.name
        assert ChainNode.objects.filter(enterprises__isnull=False).distinct().count() >= 20

    def test_projects_stand_at_every_stage_with_their_history(self) -> None:
        stages = set(Project.objects.values_list("stage", flat=True))
        assert stages == set(rules.ALL_STAGES)
        for project in Project.objects.filter(stage__in=rules.SIDE_STATES):
            assert project.side_reason
        for project in Project.objects.prefetch_related("stage_changes"):
            moves = list(project.stage_changes.all())
            assert moves[0].to_stage == rules.LEAD
            assert moves[-1].to_stage == project.stage
            assert not rules.missing_facts(project.facts(), project.stage), project.name
        assert (
            StageChange.objects.filter(to_stage=rules.NEGOTIATING, from_stage=rules.REVIEW).exclude(reason="").exists()
        )
        assert Project.objects.filter(confidential=True).exists()

    def test_credit_shares_add_up_to_100_percent(self) -> None:
        totals: dict[int, Decimal] = defaultdict(Decimal)
        for credit in ProjectCredit.objects.all():
            totals[credit.project_id] += credit.share
        assert totals
        assert set(totals.values()) == {Decimal("100")}

    def test_every_write_is_in_the_change_log_as_a_command(self) -> None:
        logged = set(ChangeLog.objects.values_list("content_type__model", flat=True))
        assert {"unit", "membership", "enterprise", "project"} <= logged
        assert set(ChangeLog.objects.values_list("source", flat=True)) == {"command"}
        assert ChangeLog.objects.filter(action="move").count() == StageChange.objects.exclude(from_stage="").count()

    def test_every_project_is_scored_and_signing_went_through_the_rating_procedure(self) -> None:
        from zhaoshang.evaluation.models import FastTrack, ProjectCondition, ReviewMeeting, Score
        from zhaoshang.evaluation.selectors import procedure_of

        assert Score.objects.count() == Project.objects.count()
        assert Score.objects.filter(grade="A").exists() and Score.objects.exclude(grade="A").exists()
        track = FastTrack.objects.select_related("project").get(project__name__contains="网络安全基地")
        assert track.grade == "A"
        decided = ReviewMeeting.objects.exclude(decision="")
        assert decided.exists()
        for meeting in decided.prefetch_related("members", "opinions"):
            assert {o.member_id for o in meeting.opinions.all()} == {m.pk for m in meeting.members.all()}
        with_conditions = decided.filter(decision="conditions").first()
        assert with_conditions is not None
        assert ProjectCondition.objects.filter(meeting=with_conditions, project=with_conditions.project).exists()
        assert ReviewMeeting.objects.filter(decision="", project__stage=rules.REVIEW).exists()  # one still open
        # Whatever reached signing was fast-tracked or approved by a meeting first.
        signed_or_later = rules.PIPELINE[rules.PIPELINE.index(rules.SIGNED) :]
        for project in Project.objects.filter(stage__in=signed_or_later):
            assert procedure_of(project.pk).cleared, project.name

    def test_running_it_again_adds_nothing(self) -> None:
        models = (
            Unit,
            Membership,
            get_user_model(),
            Enterprise,
            IndustryChain,
            ChainNode,
            Project,
            StageChange,
            ChangeLog,
        )
        before = {m: m._default_manager.count() for m in models}
        output = _load()
        assert {m: m._default_manager.count() for m in models} == before
        assert "already present" in output
        assert "officer1" in output
