"""Synthetic registry and pipeline for the benchmark: realistic shapes, written in bulk.

Everything is drawn from one seeded random generator, so two runs build the same data.
Small tables go in with ``bulk_create``; the big ones (enterprises, projects, their credits,
members and stage history; the search grams ride in the enterprise rows) as plain tuples with ids assigned
here, through ``executemany`` or PostgreSQL COPY, because building a model instance per row
costs more than writing it.  That is why 100,000 enterprises take seconds, not minutes.
The services are not used here on purpose: they validate and audit one object at a time,
which is what the import measurement exercises.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from stdnum.cn import uscc

from bench import vocab
from zhaoshang.core.audit import audit_context
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.enterprises import rules as enterprise_rules
from zhaoshang.enterprises.models import (
    ChainNode,
    Enterprise,
    EnterpriseRanking,
    IndustryChain,
    IndustryCode,
)
from zhaoshang.org.models import Membership, Role, Unit
from zhaoshang.org.services import unit_create
from zhaoshang.projects import rules as project_rules
from zhaoshang.projects.models import (
    CreditRole,
    MemberRole,
    Project,
    ProjectCredit,
    ProjectMember,
    PromotionMethod,
    StageChange,
)

SEED = 20230315
COORDINATOR_USERNAME = "bench_coordinator"
PASSWORD = "bench-password"  # only ever used against the throw-away benchmark database
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_EXCHANGES = ("SSE", "SZSE", "BSE", "HKEX", "NASDAQ", "NYSE")
_EXCHANGE_WEIGHTS = (35, 40, 5, 15, 3, 2)


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], chunk: int = 20_000) -> int:
    """Insert plain tuples as fast as the database takes them: COPY on PostgreSQL,
    chunked ``executemany`` elsewhere.  No model, no validation."""
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= chunk:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def insert_objects(model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows given as {attname: value} with ids assigned here, the way bulk_create
    would store them but without building a model instance per row.  Missing fields get
    their defaults; timestamps get the current time.  Returns the new ids in order."""
    if not rows:
        return []
    ops = connection.ops
    now = timezone.now()
    start = (model._base_manager.aggregate(m=Max("pk"))["m"] or 0) + 1
    ids = list(range(start, start + len(rows)))
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    plan: list[tuple[str, Any, Any]] = []
    for f in fields:
        if isinstance(f, models.DateTimeField):
            convert: Any = ops.adapt_datetimefield_value
        elif isinstance(f, models.DateField):
            convert = ops.adapt_datefield_value
        elif isinstance(f, models.JSONField):
            convert = json.dumps
        else:
            convert = None
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default: Any = now
        else:
            default = f.get_default()
        plan.append((f.attname, default, convert))
    if connection.vendor == "postgresql":
        plan = [(name, default, c if c is json.dumps else None) for name, default, c in plan]

    def tuples() -> Iterable[tuple[Any, ...]]:
        for pk, row in zip(ids, rows, strict=True):
            values: list[Any] = [pk]
            for name, default, convert in plan:
                value = row.get(name, default)
                values.append(convert(value) if convert is not None and value is not None else value)
            yield tuple(values)

    insert_rows(model._meta.db_table, [model._meta.pk.column] + [f.column for f in fields], tuples())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(sql)
    return ids


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _is_cjk(text: str) -> bool:
    return all(unicodedata.name(ch, "").startswith("CJK UNIFIED") for ch in text)


@dataclass
class EnterpriseStub:
    """What the project generator needs to know of an enterprise already written."""

    id: int
    short: str
    industry_id: str | None


@dataclass
class Generator:
    """Builds the organisation, then enterprises and projects in as many steps as asked."""

    seed: int = SEED
    rng: random.Random = field(init=False)
    coordinator: Any = None
    units: list[Unit] = field(default_factory=list)
    officers_by_unit: dict[int, list[int]] = field(default_factory=dict)
    enterprises: list[EnterpriseStub] = field(default_factory=list)
    gram_counts: Counter[str] = field(default_factory=Counter)
    project_count: int = 0
    _keys: set[str] = field(default_factory=set)
    _codes: set[str] = field(default_factory=set)
    _rank_counter: Counter[str] = field(default_factory=Counter)
    _classes_by_division: dict[str, list[str]] = field(default_factory=dict)
    _nodes_by_division: dict[str, list[int]] = field(default_factory=dict)
    _all_classes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.fact_rng = random.Random(self.seed + 1)
        self._cities = vocab.CITIES
        self._city_cum = _cumulative(w for _c, _p, w, _d in vocab.CITIES)
        self._brand = list(vocab.BRAND_CHARS)
        self._brand_cum = _cumulative(1.0 / (i + 1) ** 0.9 for i in range(len(self._brand)))
        self._ind_cum = _cumulative(w for _w, _d, w in vocab.INDUSTRY_WORDS)
        self._form_cum = _cumulative(w for _f, w in vocab.LEGAL_FORMS)
        self._stage_names = [s for s, _w in vocab.STAGE_WEIGHTS]
        self._stage_cum = _cumulative(w for _s, w in vocab.STAGE_WEIGHTS)
        self._exchange_cum = _cumulative(_EXCHANGE_WEIGHTS)
        self._working_units: list[int] = []
        # Words a user would type: two-character cities, words inside industry words, and
        # the two-character trade names actually used.
        self._term_words: set[str] = {c for c, _p, _w, _d in vocab.CITIES if len(c) == 2}
        for word, _d, _w in vocab.INDUSTRY_WORDS:
            self._term_words |= enterprise_rules.bigrams(word)

    # -- organisation -------------------------------------------------------------------

    def setup_org(self) -> Any:
        """The zone's ~30 units, a manager, two officers and a viewer in each, one
        coordinator (the benchmark's user) and one leader; chains and their nodes."""
        user_model = get_user_model()
        with audit_context(source="command"), transaction.atomic():
            for name, kind, region, parent in vocab.UNITS:
                parent_unit = self.units[parent] if parent is not None else None
                self.units.append(unit_create(user=SYSTEM, name=name, kind=kind, parent=parent_unit, region=region))
            self._working_units = [u.pk for u in self.units[1:]]
            password = make_password(PASSWORD)
            users = [
                user_model(username=COORDINATOR_USERNAME, password=password),
                user_model(username="bench_leader", password=password),
            ]
            plan: list[tuple[int, str]] = [
                (self.units[1].pk, Role.COORDINATOR.value),
                (self.units[0].pk, Role.LEADER.value),
            ]
            for unit in self.units[1:]:
                for i, unit_role in enumerate((Role.UNIT_MANAGER, Role.OFFICER, Role.OFFICER, Role.VIEWER)):
                    users.append(user_model(username=f"bench_u{unit.pk}_{i}", password=password))
                    plan.append((unit.pk, unit_role.value))
            users = user_model.objects.bulk_create(users)
            Membership.objects.bulk_create(
                [
                    Membership(user_id=u.pk, unit_id=unit_id, role=role)
                    for u, (unit_id, role) in zip(users, plan, strict=True)
                ]
            )
            for u, (unit_id, role) in zip(users, plan, strict=True):
                if role in (Role.UNIT_MANAGER, Role.OFFICER):
                    self.officers_by_unit.setdefault(unit_id, []).append(u.pk)
            self.coordinator = users[0]
            for order, (chain_name, kind, nodes) in enumerate(vocab.CHAINS):
                chain = IndustryChain.objects.create(name=chain_name, kind=kind, sort_order=order)
                for n_order, (node_name, segment, division) in enumerate(nodes):
                    node = ChainNode.objects.create(
                        chain=chain, name=node_name, segment=segment, industry_prefixes=division, sort_order=n_order
                    )
                    self._nodes_by_division.setdefault(division, []).append(node.pk)
        for code in IndustryCode.objects.filter(level=4).values_list("code", flat=True):
            self._classes_by_division.setdefault(code[:2], []).append(code)
            self._all_classes.append(code)
        if not self._all_classes:
            raise RuntimeError("the industry code table is empty: was the database migrated?")
        return self.coordinator

    # -- names and codes ----------------------------------------------------------------

    def _pick(self, cum: list[float], items: Sequence[Any]) -> Any:
        return self.rng.choices(items, cum_weights=cum)[0]

    def _brand_word(self) -> str:
        length = 3 if self.rng.random() < 0.15 else 2
        chars: list[str] = []
        while len(chars) < length:
            ch = self._pick(self._brand_cum, self._brand)
            if ch not in chars:
                chars.append(ch)
        word = "".join(chars)
        if length == 2:
            self._term_words.add(word)
        return word

    def enterprise_name(self) -> tuple[str, str, tuple[str, str, int, str], tuple[str, tuple[str, ...], int]]:
        """A new, unique name: (name, short name for projects, city row, industry row)."""
        while True:
            city = self._pick(self._city_cum, self._cities)
            brand = self._brand_word()
            ind = self._pick(self._ind_cum, vocab.INDUSTRY_WORDS)
            form = self._pick(self._form_cum, [f for f, _w in vocab.LEGAL_FORMS])
            shape = self.rng.random()
            if shape < 0.75:
                name = f"{city[0]}{brand}{ind[0]}{form}"
            elif shape < 0.9:
                name = f"{brand}{ind[0]}{form}"
            else:
                name = f"{brand}{ind[0]}（{city[0]}）{form}"
            key = enterprise_rules.name_key(name)
            if key not in self._keys:
                self._keys.add(key)
                return name, f"{brand}{ind[0]}", city, ind

    def credit_code(self, division_code: str) -> str:
        """A unique code whose GB 32100-2015 check character holds."""
        while True:
            org = str(self.rng.randrange(10)) + "".join(self.rng.choices(_USCC_ALPHABET, k=8))
            body = f"91{division_code}{org}"
            code = body + uscc.calc_check_digit(body)
            if code not in self._codes:
                self._codes.add(code)
                return code

    def _industry(self, divisions: tuple[str, ...]) -> str | None:
        if self.rng.random() < 0.05:
            return None
        classes = self._classes_by_division.get(self.rng.choice(divisions)) or self._all_classes
        return self.rng.choice(classes)

    def _rank(self, list_name: str) -> tuple[int, int]:
        n = self._rank_counter[list_name]
        self._rank_counter[list_name] += 1
        return 2024 - n // 500, n % 500 + 1

    # -- enterprises --------------------------------------------------------------------

    def enterprise_row(
        self, listed_rate: float = 0.05
    ) -> tuple[dict[str, Any], list[tuple[str, int, int]], list[int], str]:
        """One new enterprise as {attname: value}, with its rankings, chain nodes and the
        short name projects are named after."""
        rng = self.rng
        name, short, city, ind = self.enterprise_name()
        formers: list[str] = []
        if rng.random() < 0.10:
            for _f in range(2 if rng.random() < 0.2 else 1):
                formers.append(f"{city[0]}{self._brand_word()}{ind[0]}有限公司")
        industry = self._industry(ind[1])
        r = rng.random()
        ranks: list[tuple[str, int, int]] = []
        if r < 0.003:
            ranks = [("fortune500", *self._rank("fortune500")), ("china500", *self._rank("china500"))]
        elif r < 0.006:
            ranks = [("china500", *self._rank("china500"))]
        elif r < 0.011:
            ranks = [("private500", *self._rank("private500"))]
        ranked = bool(ranks)
        listed = (ranked and rng.random() < 0.6) or rng.random() < listed_rate
        exchange = self._pick(self._exchange_cum, _EXCHANGES) if listed else ""
        ticker = ""
        if exchange in ("SSE", "SZSE", "BSE"):
            prefix = {
                "SSE": rng.choice(("600", "601", "603", "688")),
                "SZSE": rng.choice(("000", "002", "300")),
                "BSE": "83",
            }[exchange]
            ticker = prefix + "".join(str(rng.randrange(10)) for _d in range(6 - len(prefix)))
        elif exchange == "HKEX":
            ticker = f"{rng.randrange(1, 9999):04d}"
        elif exchange:
            ticker = "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=rng.randrange(2, 5)))
        sme_r = rng.random()
        sme = "national" if sme_r < 0.01 else "provincial" if sme_r < 0.04 else "municipal" if sme_r < 0.10 else ""
        if ranked:
            revenue: Decimal | None = _money(rng.uniform(1_000_000, 60_000_000))
        elif rng.random() < 0.7:
            revenue = _money(min(math.exp(rng.gauss(math.log(5000), 2.0)), 50_000_000))
        else:
            revenue = None
        row = {
            "name": name,
            "name_key": enterprise_rules.name_key(name),
            "former_names": "\n".join(formers),
            "credit_code": self.credit_code(city[3]) if rng.random() < 0.9 else None,
            "registered_capital": _money(math.exp(rng.gauss(math.log(1000), 1.6))) if rng.random() < 0.85 else None,
            "hq_province": city[1],
            "hq_city": city[0] if city[0] in ("北京", "上海", "天津", "重庆", "香港") else city[0] + "市",
            "industry_id": industry,
            "listing_exchange": exchange,
            "ticker": ticker,
            "is_unicorn": not listed and rng.random() < 0.003,
            "is_industry_leader": ranked or rng.random() < 0.01,
            "sme_level": sme,
            "revenue": revenue,
            "employees": int(math.exp(rng.gauss(math.log(120), 1.3))) if rng.random() < 0.8 else None,
            "business_scope": f"{ind[0]}领域的技术开发、技术服务；{rng.choice(vocab.PRODUCTS)}相关产品的生产与销售。",
            "owner_unit_id": rng.choice(self._working_units) if self._working_units and rng.random() < 0.7 else None,
            "is_fortune500": any(x[0] == "fortune500" for x in ranks),
            "is_china500": any(x[0] == "china500" for x in ranks),
            "is_private500": any(x[0] == "private500" for x in ranks),
        }
        nodes = self._nodes_by_division.get(industry[:2], []) if industry else []
        links = [rng.choice(nodes)] if nodes and rng.random() < 0.3 else []
        return row, ranks, links, short

    def add_enterprises(self, count: int, listed_rate: float = 0.05) -> None:
        """Write ``count`` more enterprises with their rankings, chain links and search grams."""
        rows: list[dict[str, Any]] = []
        rankings: list[list[tuple[str, int, int]]] = []
        node_links: list[list[int]] = []
        shorts: list[str] = []
        for _ in range(count):
            row, ranks, links, short = self.enterprise_row(listed_rate)
            grams = enterprise_rules.names_for_index(row["name"], row["former_names"])
            self.gram_counts.update(grams)
            row["search_grams"] = " ".join(sorted(grams))
            rows.append(row)
            rankings.append(ranks)
            node_links.append(links)
            shorts.append(short)
        with transaction.atomic():
            ids = insert_objects(Enterprise, rows)
            EnterpriseRanking.objects.bulk_create(
                [
                    EnterpriseRanking(enterprise_id=pk, list=lst, year=year, rank=rank)
                    for pk, ranks in zip(ids, rankings, strict=True)
                    for lst, year, rank in ranks
                ],
                batch_size=2000,
            )
            through = Enterprise.chain_nodes.through
            through.objects.bulk_create(
                [
                    through(enterprise_id=pk, chainnode_id=node)
                    for pk, nodes in zip(ids, node_links, strict=True)
                    for node in nodes
                ],
                batch_size=2000,
            )
        for pk, row, short in zip(ids, rows, shorts, strict=True):
            self.enterprises.append(EnterpriseStub(id=pk, short=short, industry_id=row["industry_id"]))

    def search_terms(self, how_many: int = 6) -> list[tuple[str, int]]:
        """Two-character Chinese words of the generated names (cities, industry words, trade
        names), from the most common down to rare ones, each with the number of enterprises
        whose names hold it."""
        grams = sorted(
            ((g, n) for g, n in self.gram_counts.items() if g in self._term_words and _is_cjk(g)),
            key=lambda x: (-x[1], x[0]),
        )
        if not grams:
            return []
        picks: list[tuple[str, int]] = []
        # Positions on the frequency ranking: the top gram, then ever rarer ones.
        for fraction in (0.0, 0.002, 0.01, 0.05, 0.2, 0.6)[:how_many]:
            g = grams[min(int(fraction * len(grams)), len(grams) - 1)]
            if g not in picks:
                picks.append(g)
        return picks

    # -- projects -----------------------------------------------------------------------

    def add_projects(self, count: int) -> None:
        """Write ``count`` more projects at every stage, with credits, members and history."""
        if not self.enterprises:
            raise RuntimeError("add enterprises before projects")
        rng = self.rng
        lead_units = [u.pk for u in self.units[1:]]
        methods = [m.value for m in PromotionMethod]
        today = dt.date(2025, 6, 30)
        now = timezone.now()
        projects: list[dict[str, Any]] = []
        extras: list[tuple[list[tuple[int, str, Decimal]], list[tuple[int, str]], str]] = []
        for _ in range(count):
            stage = self._pick(self._stage_cum, self._stage_names)
            base = stage
            if stage in project_rules.SIDE_STATES:
                base = rng.choice(project_rules.OPEN_STAGES)
            level = project_rules.PIPELINE.index(base)
            at = project_rules.PIPELINE.index
            needs_enterprise = level >= at(project_rules.REGISTERED)
            stub = rng.choice(self.enterprises) if needs_enterprise or rng.random() < 0.85 else None
            lead = rng.choice(lead_units)
            owner = rng.choice(self.officers_by_unit[lead])
            planned = _money(math.exp(rng.gauss(math.log(20000), 1.3)))
            known = level >= at(project_rules.NEGOTIATING) or rng.random() < 0.5
            start = today - dt.timedelta(days=rng.randrange(30, 2200))
            dates = [start + dt.timedelta(days=90 * i + rng.randrange(60)) for i in range(len(project_rules.PIPELINE))]
            p: dict[str, Any] = {
                "name": f"{stub.short if stub else self._brand_word() + '投资'}{rng.choice(vocab.PRODUCTS)}项目",
                "enterprise_id": stub.id if stub else None,
                "investor_name": ""
                if stub
                else f"{self._pick(self._city_cum, self._cities)[0]}{self._brand_word()}资本",
                "lead_unit_id": lead,
                "confidential": rng.random() < 0.03,
                "stage": stage,
                "stage_changed_at": now - dt.timedelta(days=rng.randrange(1, 400)),
                "held_at_stage": base if stage == project_rules.ON_HOLD else "",
                "side_reason": "企业投资计划调整" if stage in project_rules.SIDE_STATES else "",
                "source": rng.choice(vocab.SOURCES)
                if level >= at(project_rules.CONTACTED) or rng.random() < 0.6
                else "",
                "promotion_method": rng.choice(methods)
                if level >= at(project_rules.REVIEW) or rng.random() < 0.3
                else "",
                "industry_id": (stub.industry_id if stub and stub.industry_id else rng.choice(self._all_classes))
                if known
                else None,
                "planned_investment": planned if known else None,
                "fixed_asset_investment": _money(float(planned) * rng.uniform(0.5, 0.9)) if known else None,
                "first_contact_on": dates[1] if level >= 1 else None,
                "priority_band": project_rules.priority_band(planned if known else None),
                "owner_id": owner,
            }
            if level >= at(project_rules.SIGNED):
                p["contracted_investment"] = _money(float(planned) * rng.uniform(0.7, 1.0))
                p["signed_on"] = dates[at(project_rules.SIGNED)]
                if rng.random() < 0.05:
                    p["foreign_capital_usd"] = _money(float(planned) * 0.1 / 7.1)
                    p["fx_rate"] = Decimal("7.1000")
                    p["fx_date"] = p["signed_on"]
            if level >= at(project_rules.REGISTERED):
                p["registered_on"] = dates[at(project_rules.REGISTERED)]
            if level >= at(project_rules.LAND_ACQUIRED):
                p["land_mu"] = _money(rng.uniform(20, 600))
                p["land_acquired_on"] = dates[at(project_rules.LAND_ACQUIRED)]
            if level >= at(project_rules.CONSTRUCTION):
                p["construction_started_on"] = dates[at(project_rules.CONSTRUCTION)]
            if level >= at(project_rules.IN_PRODUCTION):
                p["production_started_on"] = dates[at(project_rules.IN_PRODUCTION)]
            if level >= at(project_rules.FULL_CAPACITY):
                p["full_capacity_on"] = dates[at(project_rules.FULL_CAPACITY)]
            if level >= at(project_rules.SIGNED) or rng.random() < 0.2:
                p["expected_output"] = _money(float(planned) * rng.uniform(0.8, 3.0))
                p["expected_tax"] = _money(float(p["expected_output"]) * rng.uniform(0.03, 0.08))
                p["expected_jobs"] = rng.randrange(20, 2000)
            self._screening_facts(p, known)
            if p["industry_id"]:
                nodes = self._nodes_by_division.get(p["industry_id"][:2], [])
                if nodes and rng.random() < 0.5:
                    p["chain_node_id"] = rng.choice(nodes)
            projects.append(p)
            # Credit shares: mostly the lead unit alone; sometimes a referral and a landing service.
            split = rng.random()
            if split < 0.7:
                credits = [(lead, CreditRole.FIRST_CONTACT.value, Decimal("100"))]
            elif split < 0.9:
                credits = [
                    (lead, CreditRole.FIRST_CONTACT.value, Decimal("70")),
                    (rng.choice(lead_units), CreditRole.REFERRAL.value, Decimal("30")),
                ]
            else:
                credits = [
                    (lead, CreditRole.FIRST_CONTACT.value, Decimal("50")),
                    (rng.choice(lead_units), CreditRole.REFERRAL.value, Decimal("30")),
                    (rng.choice(lead_units), CreditRole.LANDING_SERVICE.value, Decimal("20")),
                ]
            members = [(owner, MemberRole.OWNER.value)]
            if rng.random() < 0.3:
                other = rng.choice(self.officers_by_unit[rng.choice(lead_units)])
                if other != owner:
                    members.append((other, MemberRole.MEMBER.value))
            if stage in project_rules.SIDE_STATES:
                previous = base
            else:
                previous = project_rules.PIPELINE[level - 1] if level > 0 else ""
            extras.append((credits, members, previous))
        with transaction.atomic():
            ids = insert_objects(Project, projects)
            insert_objects(
                ProjectCredit,
                [
                    {"project_id": pk, "unit_id": unit, "role": role, "share": share}
                    for pk, (credits, _m, _prev) in zip(ids, extras, strict=True)
                    for unit, role, share in credits
                ],
            )
            insert_objects(
                ProjectMember,
                [
                    {"project_id": pk, "user_id": user, "role": role}
                    for pk, (_c, members, _prev) in zip(ids, extras, strict=True)
                    for user, role in members
                ],
            )
            changes: list[dict[str, Any]] = []
            for pk, p, (_c, _m, previous) in zip(ids, projects, extras, strict=True):
                changes.append(
                    {"project_id": pk, "user_name": "bench", "from_stage": "", "to_stage": project_rules.LEAD}
                )
                if p["stage"] != project_rules.LEAD:
                    changes.append(
                        {
                            "project_id": pk,
                            "user_name": "bench",
                            "from_stage": previous or project_rules.LEAD,
                            "to_stage": p["stage"],
                        }
                    )
            insert_objects(StageChange, changes)
        self.project_count += len(ids)

    def _screening_facts(self, p: dict[str, Any], known: bool) -> None:
        """The facts screening and scoring read (land need, incentives, floor areas, technology,
        funding, compliance), drawn from their own generator so that adding them left the
        rest of the data as it was."""
        rng = self.fact_rng
        planned = p["planned_investment"]
        if not known or planned is None:
            return
        if "land_mu" not in p and rng.random() < 0.6:
            # Mostly near the zone's floor of 300 万元/亩, some far below it.
            p["land_mu"] = _money(float(p["fixed_asset_investment"]) / rng.uniform(80, 900))
        if "land_mu" in p:
            p["land_needed_mu"] = _money(float(p["land_mu"]) * rng.uniform(0.55, 1.1))
        if rng.random() < 0.4:
            p["incentives_offered"] = _money(float(planned) * rng.uniform(0.005, 0.08))
            p["commitment_years"] = rng.choice((5, 8, 10, 15))
            p["incentives_tied_to_tax"] = rng.random() < 0.03
        if rng.random() < 0.3:
            area = rng.uniform(5000, 200000)
            p["floor_area_m2"] = _money(area)
            p["residential_area_m2"] = _money(area * rng.choice((0, 0, 0, 0.05, 0.3, 0.6)))
            p["commercial_area_m2"] = _money(area * rng.choice((0, 0, 0.05, 0.1)))
        if rng.random() < 0.5:
            p["rd_share"] = _money(rng.uniform(0, 12))
            p["patents"] = rng.randrange(0, 400)
            p["high_tech"] = rng.random() < 0.35
        p["funding_status"] = rng.choice(("", "secured", "committed", "partial", "unsecured"))
        p["dishonest_party"] = rng.random() < 0.005
        p["unresolved_penalties"] = rng.random() < 0.01
        p["illegal_land_use"] = rng.random() < 0.005


def _cumulative(weights: Iterable[float]) -> list[float]:
    out: list[float] = []
    total = 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def analyze() -> None:
    """Refresh the planner's statistics after a bulk load, as autovacuum would soon do."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
