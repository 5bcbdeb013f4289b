"""Small builders for test data, going through the services like the app does."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from stdnum.cn import uscc

from zhaoshang.core.audit import audit_context
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.enterprises.services import enterprise_create
from zhaoshang.projects import rules
from zhaoshang.projects.services import project_create, project_move, project_update

_seq = itertools.count(1)


def credit_code(n: int | None = None) -> str:
    """A valid unified social credit code (GB 32100-2015 check character)."""
    n = next(_seq) if n is None else n
    body = f"91410100MA{n:07d}"[:17]
    return body + uscc.calc_check_digit(body)


def enterprise(name: str, **data: Any) -> Any:
    with audit_context(source="command"):
        return enterprise_create(user=SYSTEM, data={"name": name, **data}, confirm_not_duplicate=True)


FACTS_FOR_ALL_STAGES: dict[str, Any] = {
    "source": "市商务局推介",
    "planned_investment": Decimal("120000"),
    "industry_id": "3911",
    "promotion_method": "chain",
    "contracted_investment": Decimal("100000"),
    "signed_on": dt.date(2023, 3, 11),
    "registered_on": dt.date(2023, 4, 1),
    "land_mu": Decimal("150"),
    "land_acquired_on": dt.date(2023, 6, 1),
    "construction_started_on": dt.date(2023, 9, 1),
    "production_started_on": dt.date(2024, 9, 1),
    "full_capacity_on": dt.date(2025, 9, 1),
    "expected_output": Decimal("300000"),
}


def project(name: str, unit: Any, user: Any = None, stage: str = rules.LEAD, **data: Any) -> Any:
    """A project moved to ``stage`` through the service, with the facts it needs."""
    if "enterprise" not in data and "investor_name" not in data:
        data["investor_name"] = f"{name}投资方"
    with audit_context(user=user, source="command"):
        p = project_create(data={"name": name, "lead_unit": unit, **data}, user=user)
        if stage != rules.LEAD:
            if "enterprise" not in data:
                e = enterprise(f"{name}有限公司", credit_code=credit_code())
                data = {**data, "enterprise": e}
            facts = {k.removesuffix("_id") if k.endswith("_id") else k: v for k, v in FACTS_FOR_ALL_STAGES.items()}
            from zhaoshang.enterprises.models import IndustryCode

            facts["industry"] = IndustryCode.objects.get(pk="3911")
            p = project_update(user=SYSTEM, project=p, data={**facts, **data})
            if stage in rules.SIDE_STATES:
                project_move(project=p, target=rules.CONTACTED, user=user)
                project_move(project=p, target=stage, user=user, reason="资金未到位")
            else:
                if rules.PIPELINE.index(stage) >= rules.PIPELINE.index(rules.SIGNED):
                    approve_for_signing(p)
                project_move(project=p, target=stage, user=user)
            p.refresh_from_db()
    return p


def approve_for_signing(p: Any, *, date: dt.date = dt.date(2023, 3, 1)) -> Any:
    """Record a review meeting's approval of ``p`` (the rating procedure's outcome that lets
    a project be signed), as set-up for tests about later stages."""
    from django.utils import timezone

    from zhaoshang.evaluation.models import Decision, ReviewMeeting

    return ReviewMeeting.objects.create(
        project=p, date=date, decision=Decision.APPROVED, decision_reason="联审通过", decided_at=timezone.now()
    )


def xlsx(rows: list[list[Any]]) -> bytes:
    """A workbook whose first sheet holds these rows, as a user would upload it."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8-sig") -> bytes:
    """A CSV file of these rows (UTF-8 with a byte-order mark, as Excel's "CSV UTF-8")."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def rule_form(code: str) -> dict[str, Any]:
    """The fields of a new screening rule as its form posts them (a zone's land rule)."""
    return {
        "code": code,
        "family": "five_donts",
        "category": "land_speculation",
        "kind": "warn",
        "basis": "本区招商原则（不搞炒地皮）",
        "provenance": "zone",
        "source": "管委会会议纪要",
        "numeric_check": "land_beyond_need",
        "params": "factor=1.2",
        "message_zh": "用地超出需求",
        "message_en": "Land beyond need",
        "active": "on",
    }
