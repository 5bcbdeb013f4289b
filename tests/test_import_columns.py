"""How an import parses a column at a time, and what its change log keeps.

Each kind parses a whole column with a fast path for cells in their plain form and leaves
every other cell to its cell-by-cell parser.  These tests feed both the same awkward cells
and require the same values and the same messages, so the fast paths can never accept
what a cell-by-cell parse refuses, nor word a refusal differently.
"""

from __future__ import annotations

import datetime as dt
import gc
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from tests.factories import credit_code
from zhaoshang.core.audit import creation_state
from zhaoshang.core.models import ChangeLog
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.core.tabular.engine import run_import
from zhaoshang.core.tabular.kinds import Bool, Date, Integer, Kind, Money, Text, parse_each
from zhaoshang.enterprises.io import COLUMNS, CreditCode
from zhaoshang.enterprises.models import Enterprise
from zhaoshang.enterprises.services import enterprise_create

# Cells as readers hand them over: text from a CSV, numbers, dates and None from a workbook.
AWKWARD: list[Any] = [
    "",
    "   ",
    "\u3000",
    None,
    "0",
    "12",
    " 12 ",
    "12.5",
    "12.50",
    "12.505",
    "1,234.5",
    "1，234",
    "500万元",
    "500万",
    "-3",
    "+3",
    "3.0",
    "１２",
    "٣",
    "99999999999999",
    "100000000000000",
    "99999999999999.99",
    "2147483647",
    "2147483648",
    "1e3",
    "NaN",
    "Infinity",
    "abc",
    "'=1+1",
    "'abc",
    "=1+1",
    "是",
    "否",
    "yes",
    "2024-03-11",
    "2024年3月11日",
    "20240311",
]
# A workbook's date cells are naive datetimes.
NAIVE = dt.datetime(2024, 3, 11)  # noqa: DTZ001
WORKBOOK_CELLS: list[Any] = [
    12,
    -4,
    12.5,
    0.1,
    2.675,
    1.005,
    3.0,
    -0.0,
    -2.0,
    1e20,
    99999999999999.99,
    float("nan"),
    float("inf"),
    True,
    False,
    NAIVE,
    dt.date(2024, 3, 11),
    45000,
]


def same_as_cell_by_cell(kind: Kind, cells: list[Any]) -> None:
    parse = kind.bind({})
    fast_values, fast_failures = kind.parse_column(parse, cells)
    slow_values, slow_failures = parse_each(parse, cells, kind.empty)
    assert fast_failures == slow_failures
    for cell, fast, slow in zip(cells, fast_values, slow_values, strict=True):
        # Equal, and equal in form too: 12.5 and 12.50 are the same number but not the
        # same amount as the registry and the change log keep it.
        assert (cell, fast, type(fast), str(fast)) == (cell, slow, type(slow), str(slow))


KINDS = [
    Text(),
    Text(5),
    Money(),
    Money(8, 4),
    Integer(),
    Integer(1),
    Integer(0, 100),
    Bool(),
    Date(),
    CreditCode(),
    *(col.kind for col in COLUMNS if col.key in ("hq_province", "listing_exchange", "sme_level", "rankings")),
]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: type(k).__name__)
def test_a_column_of_text_cells_parses_as_cell_by_cell(kind: Kind) -> None:
    with translation.override("en"):
        same_as_cell_by_cell(kind, AWKWARD)
        # Long text and many repeats, as a real column has them.
        same_as_cell_by_cell(kind, ["123456", "12345", "1234567", "'+1", *(["12.5"] * 50), "河南省", "河南"])


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: type(k).__name__)
def test_a_workbook_column_with_numbers_and_dates_parses_as_cell_by_cell(kind: Kind) -> None:
    with translation.override("en"):
        same_as_cell_by_cell(kind, [*AWKWARD, *WORKBOOK_CELLS])


def test_credit_codes_in_their_registry_form_and_written_loosely_give_the_same_code() -> None:
    code = credit_code(7)
    loose = f" {code[:6]}-{code[6:].lower()} "
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    kind = CreditCode()
    values, failures = kind.parse_column(kind.bind({}), [code, loose, wrong, ""])
    assert values[:2] == [code, code] and values[3] is None
    assert [index for index, _message in failures] == [2]


def test_a_yes_no_column_keeps_true_and_the_text_1_apart() -> None:
    """Repeated texts are parsed once each; cells that are not text never share a result
    with a text that compares equal to them."""
    kind = Bool()
    values, failures = kind.parse_column(kind.bind({}), ["1", True, 1, 1.0, "0", False, "否"])
    assert values == [True, True, True, True, False, False, False]
    assert failures == []


def test_creation_entries_keep_the_values_given_and_leave_out_empty_ones() -> None:
    state = {
        "name": "甲",
        "ticker": "",
        "revenue": "0.00",
        "employees": 0,
        "is_unicorn": False,
        "is_industry_leader": True,
        "industry": None,
        "chain_nodes": [],
        "members": [3],
        "amount": Decimal("0"),
    }
    assert creation_state(state) == {
        "name": "甲",
        "revenue": "0.00",
        "employees": 0,
        "is_industry_leader": True,
        "members": [3],
        "amount": Decimal("0"),
    }


def test_an_imported_enterprise_is_logged_as_one_made_in_the_form_is(org: Any) -> None:
    """The history reads the same whichever way a record came in: the values it was
    created with, no empty fields, no derived keys."""
    data = {
        "name": "甲乙丙科技有限公司",
        "credit_code": credit_code(11),
        "registered_capital": Decimal("500.00"),
        "hq_province": "河南",
        "hq_city": "郑州",
        "is_industry_leader": True,
        "owner_unit": org.park_a,
    }
    made = enterprise_create(user=SYSTEM, data=data)
    rows = [
        ["企业名称", "统一社会信用代码", "注册资本（万元）", "总部所在省份", "总部所在城市", "行业龙头", "录入单位"],
        ["丁戊己科技有限公司", credit_code(12), "500", "河南省", "郑州", "是", org.park_a.name],
    ]
    text = "\n".join(",".join(r) for r in rows).encode()
    result = run_import(resource="enterprises", data=text, filename="a.csv", user=org.coordinator, commit=True)
    assert result.ok, result.errors
    imported = Enterprise.objects.get(credit_code=credit_code(12))
    logs = ChangeLog.objects.filter(content_type=ContentType.objects.get_for_model(Enterprise), action="create")
    made_state = logs.get(object_id=made.pk).after
    imported_state = logs.get(object_id=imported.pk).after
    assert made_state == {
        "name": "甲乙丙科技有限公司",
        "credit_code": credit_code(11),
        "registered_capital": "500.00",
        "hq_province": "河南",
        "hq_city": "郑州",
        "is_industry_leader": True,
        "owner_unit": org.park_a.pk,
    }
    assert imported_state == {**made_state, "name": "丁戊己科技有限公司", "credit_code": credit_code(12)}


def test_an_import_leaves_the_cycle_collector_as_it_found_it(org: Any) -> None:
    text = "企业名称\n甲乙丙科技有限公司\n".encode()
    assert gc.isenabled()
    run_import(resource="enterprises", data=text, filename="a.csv", user=org.coordinator, commit=True)
    assert gc.isenabled()
    # A refused file too.
    run_import(resource="enterprises", data=b"", filename="a.csv", user=org.coordinator, commit=True)
    assert gc.isenabled()
    gc.disable()
    try:
        run_import(resource="enterprises", data=text, filename="b.csv", user=org.coordinator, commit=False)
        assert not gc.isenabled()
    finally:
        gc.enable()
