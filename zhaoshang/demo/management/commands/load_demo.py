"""``manage.py load_demo``: load the demo zone once and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from zhaoshang.demo.data import DEMO_PASSWORD
from zhaoshang.demo.loader import DemoDataError, Summary, load_demo


class Command(BaseCommand):
    help = "Load the demo zone (organisation, staff, enterprises, chains, projects). Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = load_demo()
        except (DemoDataError, ValidationError) as exc:
            raise CommandError(f"演示数据未载入 demo data not loaded: {exc}") from exc
        self._print(summary)

    def _print(self, s: Summary) -> None:
        out = self.stdout
        if s.created:
            out.write(self.style.SUCCESS("演示数据已载入 Demo data loaded."))
        else:
            out.write("演示数据已存在，未做改动 Demo data already present; nothing changed.")
        out.write(
            f"  单位 units {s.units} · 用户 users {s.users} · 企业 enterprises {s.enterprises} · "
            f"产业链 chains {s.chains} ({s.chain_nodes} nodes) · 项目 projects {s.projects}"
        )
        out.write("  " + " · ".join(f"{stage} {n}" for stage, n in s.by_stage.items()))
        out.write(f"演示账号 Demo logins (密码 password: {DEMO_PASSWORD}):")
        for username, name, unit, role in s.logins:
            out.write(f"  {username:<12} {name}\t{unit} · {role}")
