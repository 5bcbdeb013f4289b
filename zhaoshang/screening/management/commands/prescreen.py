"""``manage.py prescreen FILE [--format json]``: pre-screen a list of candidate projects
(批量预甄别) against the current catalogue, saving nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from zhaoshang.core.tabular.uploads import FileRefused
from zhaoshang.screening import rules
from zhaoshang.screening.services import prescreen

_OUTCOME = {rules.PASS: "通过 pass", rules.WARN: "预警 warn", rules.BLOCK: "否决 block"}


class Command(BaseCommand):
    help = (
        "Pre-screen every row of a CSV or XLSX list of candidate projects (批量预甄别) against the "
        "current catalogue, saving nothing. Columns by their header: " + "、".join(rules.CANDIDATE_COLUMNS)
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the .xlsx or .csv list")
        parser.add_argument(
            "--format", choices=("table", "json"), default="table", help="a readable table (default) or one JSON list"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        with translation.override(settings.LANGUAGE_CODE):
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise CommandError(
                    _("%(path)s: the file cannot be read (%(reason)s).") % {"path": path, "reason": exc.strerror}
                ) from exc
            try:
                rows = prescreen(data, path.name)
            except FileRefused as exc:
                raise CommandError(f"{path}: {exc.message}") from exc
            if options["format"] == "json":
                self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
                return
            for row in rows:
                self.stdout.write(f"{row['row']:>5}  {_OUTCOME[row['verdict']]:<9}  {row['name']}")
                for hit in row["hits"]:
                    self.stdout.write(f"{'':>7}{hit['kind']:<6} {hit['rule']}  {hit['fact']}  〔{hit['basis']}〕")
            counts = {outcome: sum(r["verdict"] == outcome for r in rows) for outcome in rules.OUTCOMES}
            self.stdout.write(
                f"{len(rows)} 行 rows: " + ", ".join(f"{_OUTCOME[o]} {counts[o]}" for o in rules.OUTCOMES)
            )
