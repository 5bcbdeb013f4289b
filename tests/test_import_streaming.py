"""How a large import writes: a part at a time while the next part is checked, all or
nothing, with the database's own housekeeping kept out of the user's wait.

What a user relies on: rows written by earlier parts are undone when a later row fails;
an import in many parts stores exactly what an import in one part stores; the SQLite log
is copied into the database after the import, not lost and not in its commit."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import credit_code, csv_bytes, enterprise
from zhaoshang.core.audit import history_for
from zhaoshang.core.models import ChangeLog
from zhaoshang.core.tabular import engine as tabular
from zhaoshang.enterprises.io import EnterpriseResource
from zhaoshang.enterprises.models import ChainNode, Enterprise, EnterpriseRanking, IndustryChain
from zhaoshang.enterprises.selectors import active_enterprises, search_enterprises

HEADER = ["企业名称", "统一社会信用代码", "曾用名", "年营业收入（万元）", "产业链环节", "榜单排名"]


@pytest.fixture
def node(db: Any) -> ChainNode:
    chain = IndustryChain.objects.create(name="新一代信息技术", kind="leading")
    return ChainNode.objects.create(chain=chain, name="网络安全", segment="midstream")


@pytest.fixture
def parts_of_two(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Parts of two rows, and a record of how many new rows each written part held."""
    monkeypatch.setattr(tabular, "PART_ROWS", 2)
    written: list[int] = []
    original = EnterpriseResource.write_part

    def write_part(self: EnterpriseResource, plan: Any, *, user: Any) -> None:
        before = plan.data.written
        original(self, plan, user=user)
        written.append(plan.data.written - before)

    monkeypatch.setattr(EnterpriseResource, "write_part", write_part)
    return written


def test_a_failing_row_in_a_later_part_undoes_the_parts_already_written(
    org: Any, node: ChainNode, parts_of_two: list[int]
) -> None:
    rows = [[f"郑州第{n}电子科技有限公司", credit_code(500 + n), "", "120", "", ""] for n in range(1, 6)]
    rows[4][3] = "一百万"  # the fifth row (sheet row 6): not an amount
    before = (Enterprise.objects.count(), ChangeLog.objects.count(), EnterpriseRanking.objects.count())
    result = tabular.run_import(
        resource="enterprises", data=csv_bytes([HEADER, *rows]), filename="e.csv", user=org.coordinator, commit=True
    )
    assert not result.ok and not result.committed
    assert [(e.row, e.column) for e in result.errors] == [(6, "年营业收入（万元）")]
    # The first two parts were written before the third was checked …
    assert parts_of_two == [2, 2]
    # … and nothing of them is left.
    assert (Enterprise.objects.count(), ChangeLog.objects.count(), EnterpriseRanking.objects.count()) == before
    assert not search_enterprises(active_enterprises(), "第1").exists()


def test_an_import_in_parts_stores_what_one_part_stores(org: Any, node: ChainNode, parts_of_two: list[int]) -> None:
    existing = enterprise("郑州奥利弗电子科技有限公司", credit_code=credit_code(601))
    rows = [
        ["郑州通达氧应用开发有限公司", credit_code(602), "通达氧业", "88.5", "新一代信息技术/网络安全", ""],
        ["郑州奥利弗电子科技有限公司", credit_code(601), "", "150", "", ""],  # an update
        ["河南华国装备制造股份有限公司", "", "", "", "", "中国500强:2024:321"],
        ["洛阳钰凯新材料有限公司", credit_code(604), "", "", "新一代信息技术/网络安全", ""],
        ["安阳聚泰钢铁集团有限公司", credit_code(605), "", "9", "", "民营500强:2023:77"],
    ]
    result = tabular.run_import(
        resource="enterprises", data=csv_bytes([HEADER, *rows]), filename="e.csv", user=org.coordinator, commit=True
    )
    assert result.ok, result.errors
    assert (result.created, result.updated) == (4, 1)
    assert parts_of_two == [1, 2, 1]  # new rows per part: the update is written at the end
    new = list(Enterprise.objects.exclude(pk=existing.pk).order_by("id"))
    assert [e.name for e in new] == [rows[0][0], rows[2][0], rows[3][0], rows[4][0]]
    assert [e.pk for e in new] == list(range(new[0].pk, new[0].pk + 4))
    existing.refresh_from_db()
    assert existing.revenue == 150
    assert {e.name: e.is_china500 or e.is_private500 for e in new}[rows[2][0]]
    assert set(node.enterprises.values_list("name", flat=True)) == {rows[0][0], rows[3][0]}
    # Every part's rows are in the search index, the former name too.
    for term, name in (("通达", rows[0][0]), ("氧业", rows[0][0]), ("华国", rows[2][0]), ("聚泰", rows[4][0])):
        assert list(search_enterprises(active_enterprises(), term).values_list("name", flat=True)) == [name]
    # One creation entry per new record, with the values it was given.
    entries = {c.object_id: c for c in history_for(new) if c.action == "create"}
    assert set(entries) == {e.pk for e in new}
    assert entries[new[0].pk].after == {
        "name": rows[0][0],
        "former_names": "通达氧业",
        "credit_code": rows[0][1],
        "revenue": "88.50",
        "chain_nodes": [node.pk],
    }
    assert entries[new[0].pk].source == "import" and entries[new[0].pk].user_id == org.coordinator.pk
