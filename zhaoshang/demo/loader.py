"""Build the demo zone through the domain services, so every row is validated and audited.

The generated part is driven by a seeded random generator: two runs on empty databases
produce the same enterprises and projects (only dates follow the day of loading, so the
pipeline looks current).  Loading is all-or-nothing and does nothing when the demo's
promotion centre already exists.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from stdnum.cn import uscc

from zhaoshang.core.audit import audit_context, record_change
from zhaoshang.core.models import ChangeAction, ChangeSource
from zhaoshang.core.scoping import MOVE, RATE, SYSTEM, may
from zhaoshang.demo import data
from zhaoshang.enterprises.models import ChainNode, Enterprise, IndustryChain, IndustryCode
from zhaoshang.enterprises.services import enterprise_create, ranking_set
from zhaoshang.org.models import Role, Unit, UnitKind
from zhaoshang.org.services import membership_set, unit_create
from zhaoshang.projects import rules
from zhaoshang.projects.models import Project, ProjectFields
from zhaoshang.projects.services import credits_set, member_add, project_create, project_move, project_update

CENT = Decimal("0.01")
_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_REGISTERED_AT = rules.PIPELINE.index(rules.REGISTERED)
_REVIEW_AT = rules.PIPELINE.index(rules.REVIEW)
_SIGNED_AT = rules.PIPELINE.index(rules.SIGNED)

# Units that lead projects, with how often generated projects fall to each.
LEAD_UNIT_WEIGHTS: dict[str, int] = {
    "park_cyber": 8,
    "park_sensor": 8,
    "park_bio": 7,
    "centre": 5,
    "outpost_jjj": 4,
    "outpost_csj": 4,
    "outpost_gba": 4,
    "holding": 3,
    "platform_city": 2,
    "platform_district": 2,
    "agency_1": 2,
    "agency_2": 2,
    "agency_3": 2,
}
# Where a generated enterprise in the zone's own province is recorded, by chain.
HOME_UNIT_BY_CHAIN: dict[str, str] = {
    "网络安全与信息安全": "park_cyber",
    "智能传感器": "park_sensor",
    "生物医药": "park_bio",
}


class DemoDataError(RuntimeError):
    """The database lacks something the demo relies on (e.g. the industry codes)."""


@dataclass
class Summary:
    """What the database holds after loading, for the command to print."""

    created: bool
    units: int
    users: int
    enterprises: int
    chains: int
    chain_nodes: int
    projects: int
    by_stage: dict[str, int]
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)


def demo_present() -> bool:
    return Unit.objects.filter(name=data.CENTRE_NAME, kind=UnitKind.PROMOTION_CENTRE).exists()


def load_demo() -> Summary:
    """Load the demo zone unless it is already there; return what the database holds."""
    if demo_present():
        return summarize(created=False)
    with audit_context(source=ChangeSource.COMMAND), transaction.atomic():
        _Builder(random.Random(data.RANDOM_SEED), timezone.localdate()).build()
    return summarize(created=True)


def summarize(*, created: bool) -> Summary:
    by_stage = dict(Project.objects.values_list("stage").annotate(n=Count("id")).order_by())
    roles = dict(Role.choices)
    logins = []
    for spec in data.STAFF:
        if not spec.login:
            continue
        unit = next(u for u in data.UNITS if u.key == spec.unit)
        logins.append((spec.username, spec.name, unit.name, str(roles[spec.role])))
    return Summary(
        created=created,
        units=Unit.objects.count(),
        users=get_user_model().objects.count(),
        enterprises=Enterprise.objects.filter(merged_into__isnull=True).count(),
        chains=IndustryChain.objects.count(),
        chain_nodes=ChainNode.objects.count(),
        projects=Project.objects.count(),
        by_stage={stage: by_stage.get(stage, 0) for stage in rules.ALL_STAGES},
        logins=logins,
    )


def _money(value: float | int | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class _Generated:
    enterprise: Enterprise
    brand: str
    word: str
    nodes: list[ChainNode]


class _Builder:
    def __init__(self, rng: random.Random, today: dt.date) -> None:
        self.rng = rng
        # The facts screening and scoring read come from their own generator, so that the
        # rest of the demo (names, stages, units) stays as it was.
        self.fact_rng = random.Random(rng.random())
        self.today = today
        self.units: dict[str, Unit] = {}
        self.users: dict[str, Any] = {}
        self.nodes: dict[tuple[str, str], ChainNode] = {}
        self.node_specs: list[tuple[data.ChainSpec, data.NodeSpec]] = []
        self.industries: dict[str, IndustryCode] = {}
        self.named: dict[str, Enterprise] = {}
        self.generated: list[_Generated] = []
        self.credit_codes: set[str] = set()
        self.tickers: set[str] = set()
        self.project_names: Counter[str] = Counter()
        self.review_meetings = 0

    def build(self) -> None:
        self._load_industries()
        self._units()
        self._staff()
        self._chains()
        self._named_enterprises()
        self._generated_enterprises()
        self._named_projects()
        self._generated_projects()
        self._screening_examples()
        self._pending_meeting()

    # Reference data ------------------------------------------------------------------

    def _load_industries(self) -> None:
        codes = {code for chain in data.CHAINS for node in chain.nodes for code in node.industries}
        codes |= {e.industry for e in data.NAMED_ENTERPRISES} | {p.industry for p in data.NAMED_PROJECTS}
        self.industries = IndustryCode.objects.in_bulk(sorted(codes))
        missing = sorted(codes - set(self.industries))
        if missing:
            raise DemoDataError(
                "GB/T 4754-2017 codes missing from the database (run migrate first): " + ", ".join(missing)
            )

    # Organisation ----------------------------------------------------------------------

    def _units(self) -> None:
        for order, spec in enumerate(data.UNITS):
            parent = self.units[spec.parent] if spec.parent else None
            self.units[spec.key] = unit_create(
                user=SYSTEM, name=spec.name, kind=spec.kind, parent=parent, region=spec.region, sort_order=order
            )

    def _staff(self) -> None:
        user_model = get_user_model()
        # One hash for the shared, published demo password: hashing is slow by design
        # (about a second each on a small machine) and a per-user salt protects nothing here.
        password_hash = make_password(data.DEMO_PASSWORD)
        for spec in data.STAFF:
            user = user_model.objects.filter(username=spec.username).first()
            if user is None:
                user = user_model(username=spec.username, first_name=spec.name, password=password_hash)
                user.save()
            membership_set(user=SYSTEM, member=user, unit=self.units[spec.unit], role=spec.role, title=spec.title)
            self.users[spec.username] = user

    def _writers_of(self, unit_key: str) -> list[Any]:
        """Staff who may record work for the unit (coordinators, managers, officers)."""
        roles = (Role.COORDINATOR, Role.UNIT_MANAGER, Role.OFFICER)
        return [self.users[s.username] for s in data.STAFF if s.unit == unit_key and s.role in roles]

    # Industry chains -------------------------------------------------------------------

    def _chains(self) -> None:
        # The registry has no chain service yet: chains are reference data kept by
        # coordinators, so they are written here and logged like every other write.
        for order, spec in enumerate(data.CHAINS):
            chain, created = IndustryChain.objects.get_or_create(
                name=spec.name, defaults={"kind": spec.kind, "description": spec.description, "sort_order": order}
            )
            if created:
                record_change(chain, action=ChangeAction.CREATE)
            for node_order, node_spec in enumerate(spec.nodes):
                node, created = ChainNode.objects.get_or_create(
                    chain=chain,
                    name=node_spec.name,
                    defaults={
                        "segment": node_spec.segment,
                        "industry_prefixes": ",".join(node_spec.industries),
                        "sort_order": node_order,
                    },
                )
                if created:
                    record_change(node, action=ChangeAction.CREATE)
                self.nodes[(spec.name, node_spec.name)] = node
                self.node_specs.append((spec, node_spec))

    # Enterprises -----------------------------------------------------------------------

    def _credit_code(self, region: str) -> str:
        while True:
            body = "91" + region + "MA" + "".join(self.rng.choice(_CODE_ALPHABET) for _ in range(7))
            code = body + uscc.calc_check_digit(body)
            if code not in self.credit_codes:
                self.credit_codes.add(code)
                return code

    def _named_enterprises(self) -> None:
        for spec in data.NAMED_ENTERPRISES:
            self.named[spec.key] = enterprise_create(
                user=SYSTEM,
                data={
                    "name": spec.name,
                    "former_names": spec.former_names,
                    "credit_code": self._credit_code(spec.region_code),
                    "hq_province": spec.province,
                    "hq_city": spec.city,
                    "industry": self.industries[spec.industry],
                    "listing_exchange": spec.exchange,
                    "ticker": spec.ticker,
                    "is_industry_leader": spec.leader,
                    "sme_level": spec.sme_level,
                    "business_scope": spec.business_scope,
                    "notes": spec.notes,
                    "owner_unit": self.units[spec.owner_unit],
                },
                chain_nodes=[self.nodes[key] for key in spec.nodes],
            )
            self.tickers.add(spec.ticker)
        # A market agency records a known enterprise again under a shorter name; the
        # registry flags it and staff can merge the two.
        oliver = self.named["oliver"]
        enterprise_create(
            user=SYSTEM,
            data={
                "name": data.DUPLICATE_OF_OLIVER,
                "hq_province": oliver.hq_province,
                "hq_city": oliver.hq_city,
                "industry": oliver.industry,
                "notes": "市场化平台录入，与已有企业疑似重复，待核实合并。",
                "owner_unit": self.units["agency_1"],
            },
            confirm_not_duplicate=True,
        )

    def _ticker(self, exchange: str) -> str:
        rng = self.rng
        while True:
            if exchange == "SSE":
                ticker = rng.choice(("60", "68")) + f"{rng.randint(1000, 9999)}"
            elif exchange == "SZSE":
                ticker = rng.choice(("00", "30")) + f"{rng.randint(1000, 9999)}"
            elif exchange == "BSE":
                ticker = "8" + f"{rng.randint(30000, 79999)}"
            elif exchange == "HKEX":
                ticker = f"0{rng.randint(1000, 9999)}"
            else:
                ticker = "".join(rng.choice("BCDFGHJKLMNPRSTVWZ") for _ in range(4))
            if ticker not in self.tickers:
                self.tickers.add(ticker)
                return ticker

    def _generated_enterprises(self) -> None:
        rng = self.rng
        tiers = ["giant"] * 12 + ["large"] * 48 + ["medium"] * 120
        tiers += ["small"] * (data.GENERATED_ENTERPRISES - len(tiers))
        rng.shuffle(tiers)
        weights = [p[4] for p in data.PLACES]
        seen: set[str] = set()
        for tier in tiers:
            province, city, short, region, _weight, outpost = rng.choices(data.PLACES, weights=weights)[0]
            chain_spec, node_spec = rng.choice(self.node_specs)
            # Names are unique before the legal form, so no two are near-duplicates.
            while True:
                brand = rng.choice(data.BRAND_FIRST) + rng.choice(data.BRAND_SECOND)
                word = rng.choice(node_spec.words)
                base = f"{short}{brand}{word}"
                if base not in seen:
                    seen.add(base)
                    break
            revenue = {
                "giant": rng.randint(1_000_000, 30_000_000),
                "large": rng.randint(100_000, 1_000_000),
                "medium": rng.randint(10_000, 100_000),
                "small": rng.randint(300, 10_000),
            }[tier]
            employees = {
                "giant": rng.randint(5_000, 120_000),
                "large": rng.randint(1_000, 8_000),
                "medium": rng.randint(200, 1_500),
                "small": rng.randint(15, 300),
            }[tier]
            listed_p = {"giant": 0.8, "large": 0.5, "medium": 0.1, "small": 0.02}[tier]
            exchange = ""
            if rng.random() < listed_p:
                exchange = "BSE" if tier == "small" else rng.choices(("SSE", "SZSE", "HKEX", "NASDAQ"), (5, 4, 2, 1))[0]
            unlisted_growth = tier in ("medium", "large") and not exchange
            sme_level = ""
            if tier in ("small", "medium") and not exchange and rng.random() < 0.45:
                sme_level = rng.choices(("national", "provincial", "municipal"), (1, 2, 3))[0]
            form = rng.choice(data.LEGAL_FORMS[2:4]) if exchange else rng.choice(data.LEGAL_FORMS)
            nodes = [self.nodes[(chain_spec.name, node_spec.name)]]
            if rng.random() < 0.2:
                other = rng.choice(chain_spec.nodes)
                if other.name != node_spec.name:
                    nodes.append(self.nodes[(chain_spec.name, other.name)])
            if province == "河南":
                home = HOME_UNIT_BY_CHAIN.get(chain_spec.name, "centre")
                owner = rng.choice((home, home, home, "agency_1", "agency_2", "agency_3", "holding"))
            else:
                owner = outpost or rng.choice(("centre", "agency_1", "agency_2", "agency_3"))
            former = ""
            if rng.random() < 0.05:
                former = f"{short}{brand}{rng.choice(node_spec.words)}有限公司"
            enterprise = enterprise_create(
                user=SYSTEM,
                data={
                    "name": base + form,
                    "former_names": former if former != base + form else "",
                    "credit_code": self._credit_code(region) if rng.random() < 0.85 else None,
                    "registered_capital": _money(revenue * rng.uniform(0.02, 0.2)),
                    "hq_province": province,
                    "hq_city": city,
                    "industry": self.industries[rng.choice(node_spec.industries)],
                    "listing_exchange": exchange,
                    "ticker": self._ticker(exchange) if exchange else "",
                    "is_unicorn": unlisted_growth and rng.random() < 0.15,
                    "is_industry_leader": tier == "giant" or (tier == "large" and rng.random() < 0.25),
                    "sme_level": sme_level,
                    "revenue": _money(revenue),
                    "employees": employees,
                    "business_scope": f"{chain_spec.name}·{node_spec.name}相关产品的研发、生产与服务。",
                    "owner_unit": self.units[owner],
                },
                chain_nodes=nodes,
                # Generated names differ before the legal form, so the near-duplicate
                # search (one query per row) would only confirm what is known.
                confirm_not_duplicate=True,
            )
            self.generated.append(_Generated(enterprise=enterprise, brand=brand, word=word, nodes=nodes))
        self._rankings()

    def _rankings(self) -> None:
        rng = self.rng
        big = sorted(
            (g.enterprise for g in self.generated if g.enterprise.revenue and g.enterprise.revenue >= 1_000_000),
            key=lambda e: -(e.revenue or 0),
        )
        large = [
            g.enterprise for g in self.generated if g.enterprise.revenue and 100_000 <= g.enterprise.revenue < 1_000_000
        ]
        year = self.today.year - 1
        fortune = big[:5]
        for e, rank in zip(fortune, sorted(rng.sample(range(120, 500), len(fortune))), strict=True):
            ranking_set(user=SYSTEM, enterprise=e, list="fortune500", year=year, rank=rank)
        china = big + large[:8]
        for e, rank in zip(china, sorted(rng.sample(range(20, 500), len(china))), strict=True):
            ranking_set(user=SYSTEM, enterprise=e, list="china500", year=year, rank=rank)
        private = rng.sample(big[3:] + large, 20)
        for e, rank in zip(private, rng.sample(range(1, 500), len(private)), strict=True):
            ranking_set(user=SYSTEM, enterprise=e, list="private500", year=year, rank=rank)

    # Projects --------------------------------------------------------------------------

    def _create_project(
        self,
        *,
        values: dict[str, Any],
        owner: Any,
        credits: list[tuple[Unit, str, Decimal]],
        members: list[Any],
    ) -> Project:
        project = project_create(data=cast(ProjectFields, {**values, "owner": owner}), user=owner)
        if credits:
            credits_set(user=SYSTEM, project=project, shares=[(unit, role, share) for unit, role, share in credits])
        for member in members:
            if member is not None and member != owner:
                member_add(user=SYSTEM, project=project, member=member)
        return project

    def _advance(self, project: Project, target: str, *, jump: bool = False) -> None:
        """Move a project forward to ``target``, stage by stage or in one jump."""
        start = rules.PIPELINE.index(project.stage) if project.stage in rules.PIPELINE else 0
        end = rules.PIPELINE.index(target)
        if start < _SIGNED_AT <= end:
            # Signing waits for the rating procedure, held at review (see _rate).
            if start < _REVIEW_AT:
                self._advance(project, rules.REVIEW, jump=jump)
            self._rate(project)
            start = _REVIEW_AT
        steps = [target] if jump else list(rules.PIPELINE[start + 1 : end + 1])
        # The coordinator moves the projects it may move; a confidential one without the
        # coordinator among its members is moved by its officer in charge.
        mover = self.users["coordinator"]
        if not may(mover, MOVE, project):
            mover = project.owner
        for stage in steps:
            project_move(project=project, target=stage, user=mover)
        project.refresh_from_db()

    def _named_projects(self) -> None:
        for spec in data.NAMED_PROJECTS:
            values: dict[str, Any] = {
                "name": spec.name,
                "enterprise": self.named[spec.enterprise],
                "lead_unit": self.units[spec.lead_unit],
                "source": spec.source,
                "promotion_method": spec.promotion_method,
                "industry": self.industries[spec.industry],
                "chain_node": self.nodes[spec.chain_node],
                "description": spec.description,
            }
            for key, value in spec.facts.items():
                values[key] = dt.date.fromisoformat(value) if key.endswith("_on") and isinstance(value, str) else value
            project = self._create_project(
                values=values,
                owner=self.users[spec.owner],
                credits=[(self.units[u], role, share) for u, role, share in spec.credits],
                members=[self.users[m] for m in spec.members],
            )
            self.project_names[spec.name] += 1
            self._advance(project, spec.stage)

    def _dates(self, reach: int) -> dict[str, dt.date]:
        """Key dates up to the reached stage, in order and never after today."""
        rng = self.rng
        steps = max(reach, 1)
        day = self.today - dt.timedelta(days=steps * 75 + rng.randint(20, 240))
        dates = {"first_contact_on": day}
        for index, key in (
            (rules.PIPELINE.index(rules.SIGNED), "signed_on"),
            (rules.PIPELINE.index(rules.REGISTERED), "registered_on"),
            (rules.PIPELINE.index(rules.LAND_ACQUIRED), "land_acquired_on"),
            (rules.PIPELINE.index(rules.CONSTRUCTION), "construction_started_on"),
            (rules.PIPELINE.index(rules.IN_PRODUCTION), "production_started_on"),
            (rules.PIPELINE.index(rules.FULL_CAPACITY), "full_capacity_on"),
        ):
            if reach < index:
                break
            day = min(self.today, day + dt.timedelta(days=rng.randint(40, 150)))
            dates[key] = day
        return dates

    def _planned(self) -> Decimal:
        rng = self.rng
        low, high = rng.choices(
            ((2_000, 50_000), (50_000, 200_000), (200_000, 800_000), (800_000, 2_000_000)), (60, 25, 10, 5)
        )[0]
        return _money(rng.randint(low, high))

    def _project_name(self, brand: str, word: str) -> str:
        name = f"{brand}{word}{self.rng.choice(data.PROJECT_KINDS)}"
        self.project_names[name] += 1
        if self.project_names[name] > 1:
            name = f"{name}（{self.project_names[name]}期）"
        return name

    def _rating_facts(self, values: dict[str, Any], planned: Decimal) -> None:
        """What a promotion officer learns while negotiating: the plant's land and its need,
        investment, output and tax, technology and funding.  Drawn within the zone's floors
        (300 万元/亩, 25 万元/亩 of tax; land asked near the need), so that these projects pass
        screening and spread over the grades by their strength."""
        rng = self.fact_rng
        fixed = values.setdefault("fixed_asset_investment", _money(planned * Decimal(str(rng.uniform(0.5, 0.9)))))
        if "land_mu" not in values:
            intensity = Decimal(rng.randint(320, 1_500))
            values["land_mu"] = max(Decimal("5.00"), _money(fixed / intensity))
        values["land_needed_mu"] = _money(values["land_mu"] * Decimal(str(rng.uniform(0.85, 1.0))))
        if "expected_output" not in values:
            output = planned * Decimal(str(rng.uniform(0.8, 2.5)))
            values["expected_output"] = _money(output)
            values["expected_tax"] = _money(output * Decimal(str(rng.uniform(0.03, 0.08))))
        # Tax per 亩 at least the floor of 25 万元.
        values["expected_tax"] = max(
            values["expected_tax"], _money(values["land_mu"] * Decimal(str(rng.uniform(26, 60))))
        )
        if rng.random() < 0.7:
            values["rd_share"] = _money(rng.uniform(1, 12))
            values["patents"] = rng.randint(0, 300)
            values["high_tech"] = rng.random() < 0.5
        values["funding_status"] = rng.choice(("secured", "committed", "committed", "partial", "unsecured"))

    def _generated_projects(self) -> None:
        rng = self.rng
        unit_keys = list(LEAD_UNIT_WEIGHTS)
        unit_weights = list(LEAD_UNIT_WEIGHTS.values())
        plan = [stage for stage, n in data.STAGE_COUNTS.items() for _ in range(n)]
        rng.shuffle(plan)
        confidential_left = 6
        corrections = {"back": True, "resume": True}
        for target in plan:
            if target == rules.ON_HOLD:
                reach = rng.randint(1, _REGISTERED_AT)
            elif target == rules.DROPPED:
                reach = rng.randint(0, rules.PIPELINE.index(rules.REVIEW))
            else:
                reach = rules.PIPELINE.index(target)
            reach_stage = rules.PIPELINE[reach]

            investor: _Generated | None = rng.choice(self.generated)
            if reach < _REGISTERED_AT and rng.random() < 0.12:
                investor = None  # an investor not yet in the registry
            if investor is not None:
                node = rng.choice(investor.nodes)
                industry = investor.enterprise.industry
                brand, word = investor.brand, investor.word
                owner_key = self._unit_key(investor.enterprise.owner_unit)
                lead_key = owner_key if owner_key in LEAD_UNIT_WEIGHTS and rng.random() < 0.6 else None
            else:
                chain_spec, node_spec = rng.choice(self.node_specs)
                node = self.nodes[(chain_spec.name, node_spec.name)]
                industry = self.industries[node_spec.industries[0]]
                brand = rng.choice(data.BRAND_FIRST) + rng.choice(data.BRAND_SECOND)
                word = rng.choice(node_spec.words)
                lead_key = None
            lead_key = lead_key or rng.choices(unit_keys, unit_weights)[0]
            writers = self._writers_of(lead_key)
            owner = rng.choice(writers) if writers else None

            planned = self._planned()
            values: dict[str, Any] = {
                "name": self._project_name(brand, word),
                "lead_unit": self.units[lead_key],
                "chain_node": node,
                "description": f"{node.chain.name}·{node.name}方向的投资项目。",
                **self._dates(reach),
            }
            if investor is not None:
                values["enterprise"] = investor.enterprise
            else:
                values["investor_name"] = f"{brand}{word}项目投资方（待注册）"
            if reach >= 1 or rng.random() < 0.5:
                values["source"] = rng.choice(data.LEAD_SOURCES)
            if reach >= 2 or rng.random() < 0.3:
                values["planned_investment"] = planned
                values["industry"] = industry
                values["expected_jobs"] = rng.randint(20, 2_000)
            if reach >= 3 or rng.random() < 0.4:
                values["promotion_method"] = rng.choice(
                    ("by_business", "chain", "fund", "outpost", "platform", "leader", "expo")
                )
            if reach >= rules.PIPELINE.index(rules.SIGNED):
                values["contracted_investment"] = _money(planned * Decimal(str(rng.uniform(0.8, 1.0))))
                values["fixed_asset_investment"] = _money(planned * Decimal(str(rng.uniform(0.5, 0.9))))
                output = planned * Decimal(str(rng.uniform(0.8, 2.5)))
                values["expected_output"] = _money(output)
                values["expected_tax"] = _money(output * Decimal(str(rng.uniform(0.03, 0.08))))
                if rng.random() < 0.1:
                    values["foreign_capital_usd"] = _money(planned / Decimal("7.1") * Decimal("0.3"))
                    values["fx_rate"] = Decimal("7.1268")
                    values["fx_date"] = values["signed_on"]
            if reach >= rules.PIPELINE.index(rules.LAND_ACQUIRED):
                intensity = Decimal(rng.randint(300, 1_500))
                values["land_mu"] = max(Decimal("5.00"), _money(values["fixed_asset_investment"] / intensity))
            if reach >= rules.PIPELINE.index(rules.NEGOTIATING):
                self._rating_facts(values, planned)

            confidential = (
                confidential_left > 0
                and target in (rules.NEGOTIATING, rules.REVIEW, rules.SIGNED)
                and rng.random() < 0.5
            )
            if confidential:
                confidential_left -= 1
                values["confidential"] = True

            credits = self._credits(lead_key) if reach >= 2 or rng.random() < 0.5 else []
            members: list[Any] = []
            if confidential:
                # Every other confidential project includes the coordinator; the rest are
                # seen only by their own members and the leaders.
                if confidential_left % 2 == 0:
                    members.append(self.users["coordinator"])
            elif rng.random() < 0.3:
                members.append(self.users["coordinator"])
            if credits and rng.random() < 0.4:
                first_unit_key = self._unit_key(credits[0][0])
                if first_unit_key:
                    members.extend(self._writers_of(first_unit_key)[:1])

            project = self._create_project(values=values, owner=owner, credits=credits, members=members)
            if reach > 0:
                self._advance(project, reach_stage, jump=reach > 1 and rng.random() < 0.25)

            if target == rules.NEGOTIATING and corrections["back"]:
                # A project that went to review too early is sent back, with the reason.
                corrections["back"] = False
                values["promotion_method"] = values.get("promotion_method") or "chain"
                project_update(user=SYSTEM, project=project, data={"promotion_method": values["promotion_method"]})
                project_move(project=project, target=rules.REVIEW, user=self.users["coordinator"])
                project_move(
                    project=project,
                    target=rules.NEGOTIATING,
                    user=self.users["coordinator"],
                    reason="对价条件需重新洽谈，退回洽谈阶段",
                )
            elif target == rules.NEGOTIATING and corrections["resume"]:
                # A project held for a while and then resumed where it stopped.
                corrections["resume"] = False
                project_move(
                    project=project, target=rules.ON_HOLD, user=self.users["coordinator"], reason=data.HOLD_REASONS[0]
                )
                project_move(
                    project=project, target=rules.NEGOTIATING, user=self.users["coordinator"], reason="企业重启投资计划"
                )
            elif target == rules.ON_HOLD:
                project_move(
                    project=project,
                    target=rules.ON_HOLD,
                    user=self.users["coordinator"],
                    reason=rng.choice(data.HOLD_REASONS),
                )
            elif target == rules.DROPPED:
                project_move(
                    project=project,
                    target=rules.DROPPED,
                    user=self.users["coordinator"],
                    reason=rng.choice(data.DROP_REASONS),
                )

    # Evaluation: the rating procedure before signing -----------------------------------

    def _rate(self, project: Project) -> None:
        """Fast-track a project at review where it is eligible (grade A, screened "pass"),
        else hold a review meeting: members, each one's opinion, and the decision (every third
        meeting approves with a condition, which becomes a follow-up item)."""
        from zhaoshang.evaluation.services import (
            fast_track_confirm,
            fast_track_errors,
            meeting_create,
            meeting_decide,
            opinion_set,
        )

        project.refresh_from_db()
        # A confidential project the coordinator may not see is rated by the leader.
        coordinator = self.users["coordinator"]
        if not may(coordinator, RATE, project):
            coordinator = self.users["leader"]
        if not fast_track_errors(project):
            fast_track_confirm(project=project, user=coordinator)
            return
        members = [coordinator, self.users["leader"]]
        members += [w for w in self._writers_of(self._unit_key(project.lead_unit) or "") if w not in members][:1]
        day = (project.signed_on or self.today) - dt.timedelta(days=12)
        meeting = meeting_create(project=project, user=coordinator, date=day, members=members)
        self.review_meetings += 1
        condition = data.REVIEW_CONDITIONS[self.review_meetings % len(data.REVIEW_CONDITIONS)]
        with_condition = self.review_meetings % 3 == 1
        for i, member in enumerate(members):
            if with_condition and i == len(members) - 1:
                opinion_set(
                    meeting=meeting, member=member, user=coordinator, opinion="conditions", conditions=condition
                )
            else:
                opinion_set(meeting=meeting, member=member, user=coordinator, opinion="approve")
        meeting_decide(
            meeting=meeting,
            user=coordinator,
            decision="conditions" if with_condition else "approved",
            reason="联审会议一致同意" if not with_condition else "联审会议同意，附条件",
            conditions=condition if with_condition else "",
        )

    def _pending_meeting(self) -> None:
        """A project at review awaiting its meeting's decision, with one opinion in."""
        from zhaoshang.evaluation.services import meeting_create, opinion_set

        project = Project.objects.filter(name=data.PENDING_REVIEW_PROJECT).first()
        if project is None or project.stage != rules.REVIEW:
            return
        members = [self.users["coordinator"], self.users["leader"], self.users["park3"]]
        meeting = meeting_create(project=project, user=self.users["coordinator"], date=self.today, members=members)
        opinion_set(
            meeting=meeting,
            member=self.users["park3"],
            user=self.users["park3"],
            opinion="conditions",
            conditions="研发中心须于签约后一年内取得医疗器械注册证",
        )

    def _screening_examples(self) -> None:
        _ScreeningExamples.build(self)

    def _unit_key(self, unit: Unit | None) -> str | None:
        if unit is None:
            return None
        for key, value in self.units.items():
            if value.pk == unit.pk:
                return key
        return None

    def _credits(self, lead_key: str) -> list[tuple[Unit, str, Decimal]]:
        """One to three units share the credit; the lead unit serves the landing."""
        rng = self.rng
        others = [
            k
            for k in (
                "centre",
                "outpost_jjj",
                "outpost_csj",
                "outpost_gba",
                "agency_1",
                "agency_2",
                "agency_3",
                "holding",
            )
            if k != lead_key
        ]
        n = rng.choices((1, 2, 3), (4, 4, 2))[0]
        lead = self.units[lead_key]
        if n == 1:
            return [(lead, "first_contact", Decimal("100"))]
        first = self.units[rng.choice(others)]
        if n == 2:
            share = Decimal(rng.choice((30, 40, 50, 60)))
            return [(first, "first_contact", share), (lead, "landing_service", Decimal("100") - share)]
        referral = self.units[rng.choice([k for k in others if self.units[k].pk != first.pk])]
        return [
            (first, "first_contact", Decimal("40")),
            (referral, "referral", Decimal("20")),
            (lead, "landing_service", Decimal("40")),
        ]


class _ScreeningExamples:
    """Projects that show the screening (三不招、五不搞) at work; fictional names."""

    @staticmethod
    def build(builder: _Builder) -> None:
        codes = IndustryCode.objects.in_bulk(["3041", "3042", "3491"])
        coordinator, leader = builder.users["coordinator"], builder.users["leader"]
        common: ProjectFields = {
            "source": "企业来访洽谈",
            "promotion_method": "by_business",
            "first_contact_on": builder.today,
        }
        # Blocked: a float flat-glass line is new capacity of an industry in severe overcapacity.
        glass = project_create(
            data={
                **common,
                "name": "华曜浮法平板玻璃生产线项目",
                "investor_name": "华曜玻璃集团（示例）",
                "lead_unit": builder.units["centre"],
                "industry": codes["3041"],
                "description": "拟建两条日熔化量600吨的浮法平板玻璃生产线。",
                "planned_investment": Decimal("150000"),
                "owner": coordinator,
            },
            user=coordinator,
        )
        builder._advance(glass, rules.NEGOTIATING, jump=True)
        # Warned: the land asked is far more than the investment justifies.
        robots = project_create(
            data={
                **common,
                "name": "瑞澄机器人产业园项目",
                "investor_name": "瑞澄智能装备（示例）",
                "lead_unit": builder.units["park_sensor"],
                "industry": codes["3491"],
                "description": "工业机器人整机及零部件生产基地。",
                "planned_investment": Decimal("16000"),
                "fixed_asset_investment": Decimal("12000"),
                "land_mu": Decimal("100"),
                "expected_tax": Decimal("1500"),
                "owner": coordinator,
            },
            user=coordinator,
        )
        builder._advance(robots, rules.NEGOTIATING, jump=True)
        # Blocked by a keyword ("浮法") although it adds no flat-glass capacity: a leader lets it
        # into review with a written reason, and the override shows on the project.
        deep = project_create(
            data={
                **common,
                "name": "宏瑞节能玻璃深加工项目",
                "investor_name": "宏瑞节能玻璃（示例）",
                "lead_unit": builder.units["centre"],
                "industry": codes["3042"],
                "description": "以外购浮法玻璃原片为原料，生产钢化、中空、夹层等节能玻璃，不新增平板玻璃产能。",
                "planned_investment": Decimal("30000"),
                "owner": coordinator,
            },
            user=coordinator,
        )
        builder._advance(deep, rules.NEGOTIATING, jump=True)
        project_move(
            project=deep,
            target=rules.REVIEW,
            user=leader,
            reason="项目为玻璃深加工，不新增平板玻璃产能，经管委会专题会研究同意进入评审",
            override=True,
        )
