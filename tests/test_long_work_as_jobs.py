"""Long work runs as jobs, outside the request that asked for it: a large import's commit, a
merge of a much-referenced enterprise, re-screening after a catalogue edit, re-scoring after a
new scheme version.  Each is audited as the user who asked (source "job") and shown on the
user's job page; a job that cannot finish leaves nothing half-written."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import client_for
from tests.factories import csv_bytes, enterprise, project
from zhaoshang.core.models import ChangeLog
from zhaoshang.enterprises.models import Enterprise
from zhaoshang.jobs.models import Job
from zhaoshang.projects.models import Project
from zhaoshang.screening.models import Rule, Verdict

ROWS = [
    ["企业名称", "统一社会信用代码"],
    ["郑州甲科技有限公司", ""],
    ["郑州乙科技有限公司", ""],
    ["郑州丙科技有限公司", ""],
]


@pytest.fixture
def small_jobs(settings: Any, tmp_path: Any) -> None:
    """Thresholds low enough that a test's few rows count as large work."""
    settings.ZS_IMPORT_JOB_ROWS = 2
    settings.ZS_MERGE_JOB_REFERENCES = 0
    settings.DATA_DIR = tmp_path


def _upload(c: Any, rows: list[list[str]]) -> str:
    upload = io.BytesIO(csv_bytes(rows))
    upload.name = "企业.csv"
    preview = c.post("/enterprises/import/", {"file": upload})
    assert preview.context["result"].ok
    return str(preview.context["token"])


def test_a_large_import_is_committed_by_a_job_whose_page_shows_the_result(
    org: Any, small_jobs: None, django_capture_on_commit_callbacks: Any
) -> None:
    c = client_for(org.officer_a)
    token = _upload(c, ROWS)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post("/enterprises/import/", {"token": token})
    job = Job.objects.get(kind="imports.commit")
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert (job.state, job.user, job.result["created"]) == ("done", org.officer_a, 3)
    assert Enterprise.objects.filter(name__startswith="郑州").count() == 3
    # Written as the officer, by an import, under the job's request id.
    entries = ChangeLog.objects.filter(action="create", object_repr__startswith="郑州")
    assert {(e.user_id, e.source, e.request_id) for e in entries} == {(org.officer_a.pk, "import", f"job-{job.pk}")}
    page = c.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "3" in page and reverse("enterprises:list") in page


def test_a_large_file_is_checked_by_a_job_whose_page_leads_to_the_preview_and_the_commit(
    org: Any, settings: Any, small_jobs: None, django_capture_on_commit_callbacks: Any
) -> None:
    settings.ZS_IMPORT_PREVIEW_JOB_BYTES = 10
    c = client_for(org.officer_a)
    upload = io.BytesIO(csv_bytes(ROWS))
    upload.name = "企业.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post("/enterprises/import/", {"file": upload})
    job = Job.objects.get(kind="imports.preview")
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert (job.state, job.result["rows"], job.result["created"], job.result["errors"]) == ("done", 3, 3, 0)
    assert not Enterprise.objects.filter(name__startswith="郑州").exists()  # a preview writes nothing
    link = job.result["link"]
    assert link in c.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    # The job's link opens the same preview the page would have shown, with its commit button.
    preview = c.get(link)
    assert preview.context["result"].rows == 3 and preview.context["token"]
    assert "郑州乙科技有限公司" in preview.content.decode()
    # Another user cannot open it.
    assert client_for(org.officer_a2).get(link).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        c.post("/enterprises/import/", {"token": preview.context["token"]})
    assert Job.objects.get(kind="imports.commit").state == "done"
    assert Enterprise.objects.filter(name__startswith="郑州").count() == 3


def test_the_preview_a_job_made_of_a_file_with_errors_lists_them_and_offers_no_commit(
    org: Any, settings: Any, small_jobs: None, django_capture_on_commit_callbacks: Any
) -> None:
    settings.ZS_IMPORT_PREVIEW_JOB_BYTES = 10
    c = client_for(org.officer_a)
    upload = io.BytesIO(csv_bytes([*ROWS, ["", "91110000600037341L"]]))
    upload.name = "企业.csv"
    with django_capture_on_commit_callbacks(execute=True):
        c.post("/enterprises/import/", {"file": upload})
    job = Job.objects.get(kind="imports.preview")
    assert job.state == "done" and job.result["errors"] >= 1
    preview = c.get(job.result["link"])
    page = preview.content.decode()
    assert preview.context["token"] == "" and 'id="commit-form"' not in page
    assert 'id="import-errors"' in page and preview.context["errors_total"] == job.result["errors"]


def test_a_large_import_that_fails_at_commit_writes_nothing_and_says_why(
    org: Any, small_jobs: None, django_capture_on_commit_callbacks: Any
) -> None:
    c = client_for(org.officer_a)
    token = _upload(c, ROWS)
    # Between the preview and the commit someone records one of the names.
    enterprise("郑州乙科技股份有限公司", owner_unit=org.park_a)
    before = Enterprise.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        c.post("/enterprises/import/", {"token": token})
    job = Job.objects.get(kind="imports.commit")
    assert job.state == "failed" and "3 企业名称" in job.error
    assert Enterprise.objects.count() == before  # nothing of the sheet was written
    assert job.error in c.get(reverse("jobs:detail", args=[job.pk])).content.decode()


def test_a_small_import_is_still_committed_in_the_request(org: Any, settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    c = client_for(org.officer_a)
    token = _upload(c, ROWS)
    assert c.post("/enterprises/import/", {"token": token}).url == reverse("enterprises:list")
    assert not Job.objects.exists() and Enterprise.objects.count() == 3


def test_merging_a_much_referenced_enterprise_runs_as_a_job_with_a_history_entry_per_moved_record(
    org: Any, small_jobs: None, django_capture_on_commit_callbacks: Any
) -> None:
    keep = enterprise("郑州奥利弗电子科技有限公司", owner_unit=org.park_a)
    dup = enterprise("郑州奥利弗电子科技股份有限公司", owner_unit=org.park_a)
    moved = [project(f"奥利弗项目{i}", org.park_a, org.officer_a, enterprise=dup) for i in range(3)]
    c = client_for(org.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("enterprises:merge", args=[dup.pk]), {"keep": keep.pk})
    job = Job.objects.get(kind="enterprises.merge")
    assert response.url == reverse("jobs:detail", args=[job.pk]) and job.state == "done"
    assert set(Project.objects.filter(enterprise=keep).values_list("pk", flat=True)) == {p.pk for p in moved}
    for p in moved:
        entry = ChangeLog.objects.filter(object_id=p.pk, action="update").latest("id")
        assert (entry.before, entry.after) == ({"enterprise": dup.pk}, {"enterprise": keep.pk})
        assert (entry.user_id, entry.source) == (org.coordinator.pk, "job")
        assert Project.objects.get(pk=p.pk).revision == p.revision + 1  # an open edit form sees it


def test_a_catalogue_edit_re_screens_every_project_in_a_job_that_records_what_changed(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    p = project("园区项目", org.park_a, org.officer_a, fixed_asset_investment=Decimal("20000"), land_mu=Decimal("100"))
    assert Verdict.objects.get(project=p).outcome == "pass"
    rule = Rule.objects.get(code="5NO-LAND-INTENSITY")
    data = {**_rule_form(rule), "params": "floor=450\nfraction=0.5"}
    c = client_for(org.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("screening:rule_edit", args=[rule.pk]), data)
    assert response.status_code == 302
    job = Job.objects.get(kind="screening.rescreen")
    assert (job.state, job.user, job.result["changed"]) == ("done", org.coordinator, 1)
    assert Verdict.objects.get(project=p).outcome == "warn"
    entry = ChangeLog.objects.filter(object_id=p.pk, source="job").latest("id")
    assert (entry.before, entry.after) == ({"screening": "pass"}, {"screening": "warn"})


def _rule_form(rule: Rule) -> dict[str, Any]:
    from zhaoshang.screening.forms import RuleForm

    values = RuleForm.initial_for(rule)
    values["active"] = "on" if values["active"] else ""
    return values
