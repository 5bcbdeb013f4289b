"""End to end in a real browser: log in, add an enterprise, add a project, drag it on the
kanban.  Skipped with a clear message where no Chromium is installed (.ci/run installs it)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from zhaoshang.enterprises.models import Enterprise
from zhaoshang.projects import rules
from zhaoshang.projects.models import Project, StageChange

CHROMIUM = os.environ.get("ZS_CHROMIUM", "/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() or shutil.which("chromium")),
        reason="no Chromium at /usr/bin/chromium: install it with `apt-get install chromium fonts-noto-cjk` to run browser tests",
    ),
]


@pytest.fixture
def page(live_server):
    playwright_api = pytest.importorskip("playwright.sync_api")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 1600, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        yield pg
        context.close()
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_officer_logs_in_creates_enterprise_and_project_and_moves_it_on_the_kanban(page, live_server, org, tmp_path):
    base = live_server.url
    page.goto(base + "/")
    page.fill("#id_username", "officer_a")
    page.fill("#id_password", "pw-officer_a")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")

    page.goto(base + "/enterprises/new/")
    page.fill("#id_name", "郑州市通达氧应用开发有限公司")
    page.fill("#id_registered_capital", "3,000")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/enterprises/*/")
    enterprise = Enterprise.objects.get(name="郑州市通达氧应用开发有限公司")
    assert page.locator("h1").inner_text().startswith("郑州市通达氧应用开发有限公司")

    page.click("text=新建项目" if page.locator("text=新建项目").count() else "text=New project")
    page.fill("#id_name", "通达氧应用扩产项目")
    page.fill("#id_source", "企业走访")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/projects/*/")
    project = Project.objects.get(name="通达氧应用扩产项目")
    assert project.enterprise == enterprise and project.stage == rules.LEAD

    page.goto(base + "/projects/kanban/")
    card = page.locator(f'.kanban-card[data-id="{project.pk}"]')
    card.drag_to(page.locator("#col-contacted"))
    page.locator(f'#col-contacted .kanban-card[data-id="{project.pk}"]').wait_for()
    page.screenshot(path=str(tmp_path / "kanban.png"), full_page=True)
    project.refresh_from_db()
    assert project.stage == rules.CONTACTED
    move = StageChange.objects.filter(project=project).latest("id")
    assert (move.from_stage, move.to_stage, move.user) == (rules.LEAD, rules.CONTACTED, org.officer_a)

    # A move the rules refuse is explained on the board and the card stays where it was.
    page.locator(f'.kanban-card[data-id="{project.pk}"]').drag_to(page.locator("#col-negotiating"))
    page.locator("#kanban-alert:not(.d-none)").wait_for()
    assert "通达氧应用扩产项目" in page.locator("#kanban-alert").inner_text()
    project.refresh_from_db()
    assert project.stage == rules.CONTACTED
