"""Load the default scoring scheme shipped in evaluation/data/default_scheme.json as version 1."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "default_scheme.json"


def load(apps, schema_editor):
    Scheme = apps.get_model("evaluation", "Scheme")
    SchemeVersion = apps.get_model("evaluation", "SchemeVersion")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    scheme, _created = Scheme.objects.get_or_create(name=data["name"]["zh-hans"])
    if SchemeVersion.objects.filter(scheme=scheme).exists():
        return
    a, b, c = (Decimal(str(x)) for x in data["grade_bounds"])
    SchemeVersion.objects.create(
        scheme=scheme,
        number=1,
        indicators=data["indicators"],
        vetoes=data["vetoes"],
        hard_thresholds=data["hard_thresholds"],
        intensity_floor=Decimal(str(data["floors"]["investment_intensity"])),
        tax_floor=Decimal(str(data["floors"]["tax_per_mu"])),
        grade_a=a,
        grade_b=b,
        grade_c=c,
        note=data.get("note", ""),
        active=True,
    )


def unload(apps, schema_editor):
    apps.get_model("evaluation", "SchemeVersion").objects.all().delete()
    apps.get_model("evaluation", "Scheme").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
