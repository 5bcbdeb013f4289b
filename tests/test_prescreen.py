"""Pre-screening a list of candidate projects (批量预甄别): ``manage.py prescreen FILE
[--format json]`` screens every row against the current catalogue and saves nothing."""

from __future__ import annotations

import json
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import client_for
from tests.factories import csv_bytes, xlsx
from zhaoshang.core.models import ChangeLog
from zhaoshang.projects.models import Project
from zhaoshang.screening.models import Verdict

HEADER = [
    "项目名称",
    "投资方",
    "投资方经营范围",
    "行业代码",
    "总投资(万元)",  # half-width brackets, as people type them
    "固定资产投资（万元）",
    "用地（亩）",
    "项目简介",
    "总建筑面积（平方米）",
    "住宅建筑面积（平方米）",
]
ROWS: list[list[Any]] = [
    HEADER,
    ["年產20萬噸電解鋁項目", "某某鋁業有限公司", "", "", 200000, 150000, 800, "", "", ""],
    [
        "130MWp光伏电站项目",
        "香港信义玻璃控股有限公司",
        "浮法玻璃、汽车玻璃的生产和销售",
        "4416 太阳能发电",
        60000,
        55000,
        "",
        "",
        "",
        "",
    ],
    ["", "", "", "", "", "", "", "", "", ""],
    ["智能传感器项目", "某某传感科技有限公司", "传感器研发", "3983", 50000, 40000, 100, "", "", ""],
    ["产业园配套项目", "某某置业有限公司", "房地产开发", "", 80000, 60000, 100, "配套商品房", 100000, 80000],
]
GUOFA_41 = "《国务院关于化解产能严重过剩矛盾的指导意见》（国发〔2013〕41号）"
HOUSING = "本区“三不招、五不搞”招商原则（不搞炒房）"
EXPECTED = [
    {
        "row": 2,
        "name": "年產20萬噸電解鋁項目",
        "verdict": "block",
        "hits": [{"rule": "3NO-OVERCAP-ALUMINIUM", "kind": "block", "basis": GUOFA_41, "fact": "项目名称：电解铝"}],
    },
    {
        "row": 3,
        "name": "130MWp光伏电站项目",
        "verdict": "warn",
        "hits": [{"rule": "3NO-OVERCAP-FLAT-GLASS", "kind": "warn", "basis": GUOFA_41, "fact": "经营范围：浮法玻璃"}],
    },
    {"row": 5, "name": "智能传感器项目", "verdict": "pass", "hits": []},
    {
        "row": 6,
        "name": "产业园配套项目",
        "verdict": "block",
        "hits": [
            {
                "rule": "5NO-HOUSING-DOMINANT",
                "kind": "block",
                "basis": HOUSING,
                "fact": "住宅和商业建筑面积占比：80.00%",
            },
            {"rule": "5NO-HOUSING-SHARE", "kind": "warn", "basis": HOUSING, "fact": "住宅和商业建筑面积占比：80.00%"},
        ],
    },
]


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("prescreen", str(path), *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_centre_pre_screens_a_candidate_list_as_one_json_list_in_file_order_saving_nothing(
    db: Any, tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / f"候选项目.{fmt}"
    path.write_bytes(csv_bytes(ROWS) if fmt == "csv" else xlsx(ROWS))
    before = (Project.objects.count(), Verdict.objects.count(), ChangeLog.objects.count())
    assert json.loads(run(path, "--format", "json")) == EXPECTED
    assert (Project.objects.count(), Verdict.objects.count(), ChangeLog.objects.count()) == before


def test_the_table_names_each_rows_verdict_and_counts_them(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "候选项目.csv"
    path.write_bytes(csv_bytes(ROWS))
    text = run(path)
    assert "否决 block" in text and "3NO-OVERCAP-ALUMINIUM  项目名称：电解铝" in text
    assert text.strip().splitlines()[-1] == "4 行 rows: 通过 pass 1, 预警 warn 1, 否决 block 2"


def test_a_list_with_only_some_columns_is_screened_on_what_it_has(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx([["行业代码", "项目名称"], ["3041 平板玻璃制造", "某玻璃项目"], [3041, ""]]))
    rows = json.loads(run(path, "--format", "json"))
    assert [(r["row"], r["verdict"], {h["rule"] for h in r["hits"]}) for r in rows] == [
        (2, "block", {"3NO-OVERCAP-FLAT-GLASS", "3NO-POLLUTION-BUILDING-MATERIALS"}),
        (3, "block", {"3NO-OVERCAP-FLAT-GLASS", "3NO-POLLUTION-BUILDING-MATERIALS"}),
    ]


def test_a_file_that_cannot_be_read_or_names_no_column_is_refused_with_the_reason(db: Any, tmp_path: Path) -> None:
    empty = tmp_path / "空.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match=r"空\.csv: 文件为空"):
        run(empty)
    other = tmp_path / "别的表.csv"
    other.write_bytes(csv_bytes([["企业名称", "联系人"], ["某公司", "张三"]]))
    with pytest.raises(CommandError, match="第一行没有任何一列是所需的列：项目名称、投资方"):
        run(other)
    with pytest.raises(CommandError, match=r"没有\.csv：无法读取该文件"):
        run(tmp_path / "没有.csv")


def _upload(rows: list[list[Any]], name: str = "候选项目.xlsx") -> BytesIO:
    upload = BytesIO(xlsx(rows))
    upload.name = name
    return upload


def test_an_officer_pre_screens_a_list_on_the_page_and_sees_each_rows_verdict_saving_nothing(org: Any) -> None:
    c = client_for(org.officer_a)
    assert "批量预甄别" in c.get(reverse("screening:projects")).content.decode()  # the tab
    before = (Project.objects.count(), Verdict.objects.count(), ChangeLog.objects.count())
    response = c.post(reverse("screening:prescreen"), {"file": _upload(ROWS), "as": "page"})
    page = response.content.decode()
    assert response.status_code == 200 and response.context["rows"] == EXPECTED
    table = page[page.index('id="prescreen-table"') :]
    assert "年產20萬噸電解鋁項目" in table and "项目名称：电解铝" in table and "3NO-OVERCAP-ALUMINIUM" in table
    assert response.context["counts"] == {"pass": 1, "warn": 1, "block": 2}
    assert (Project.objects.count(), Verdict.objects.count(), ChangeLog.objects.count()) == before


def test_the_pre_screening_comes_as_a_workbook_with_a_line_per_hit(org: Any) -> None:
    response = client_for(org.officer_a).post(reverse("screening:prescreen"), {"file": _upload(ROWS), "as": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "%E9%A2%84%E7%94%84%E5%88%AB.xlsx" in response["Content-Disposition"]  # …-预甄别.xlsx
    sheet = load_workbook(BytesIO(response.getvalue())).active
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert lines[0] == ["行号", "项目名称", "甄别结论", "规则", "类型", "触发事实", "依据"]
    assert lines[1] == [
        2,
        "年產20萬噸電解鋁項目",
        "否决",
        "3NO-OVERCAP-ALUMINIUM",
        "否决",
        "项目名称：电解铝",
        GUOFA_41,
    ]
    assert lines[3][:3] == [5, "智能传感器项目", "通过"] and lines[3][3:] in ([], [None] * 4)
    assert [line[0] for line in lines[1:]] == [2, 3, 5, 6, 6]


def test_a_file_the_page_cannot_read_is_refused_on_the_form_in_the_users_language(org: Any) -> None:
    c = client_for(org.officer_a)
    response = c.post(reverse("screening:prescreen"), {"file": _upload([["企业名称"], ["某公司"]]), "as": "page"})
    assert response.status_code == 200 and "第一行没有任何一列是所需的列" in response.content.decode()
    c.cookies["django_language"] = "en"
    response = c.post(reverse("screening:prescreen"), {"as": "page"})
    assert "Choose a file to upload." in response.content.decode()
