"""Load GB/T 4754-2017 (20 sections, 97 divisions, 473 groups, 1,380 classes)."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "gbt4754_2017.json"


def parent_code(code: str, section: str, level: int) -> str | None:
    if level == 1:
        return None
    if level == 2:
        return section
    return code[: level - 1]


def load(apps, schema_editor):
    IndustryCode = apps.get_model("enterprises", "IndustryCode")
    rows = json.loads(DATA.read_text(encoding="utf-8"))["codes"]
    IndustryCode.objects.bulk_create(
        [
            IndustryCode(
                code=code,
                name=name,
                level=level,
                section=section,
                remark=remark,
                parent_id=parent_code(code, section, level),
            )
            for code, name, level, section, remark in sorted(rows, key=lambda r: r[2])
        ],
        batch_size=500,
    )


def unload(apps, schema_editor):
    apps.get_model("enterprises", "IndustryCode").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
