"""Load the shipped screening catalogue (zhaoshang/screening/data/catalogue.json): the rules of
the three and five don'ts and the quoted entries of the 2024 Industrial Structure
Adjustment Catalogue, and set the catalogue version to 1.

Projects that exist before this migration get their verdicts from ``manage.py rescreen``
(or lazily, the first time anything asks for them)."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "catalogue.json"

RULE_FIELDS = (
    "code",
    "family",
    "category",
    "kind",
    "basis",
    "provenance",
    "item_number",
    "item_text",
    "source",
    "industry_prefixes",
    "keywords",
    "keyword_facts",
    "except_terms",
    "numeric_check",
    "params",
    "message_zh",
    "message_en",
)
ENTRY_FIELDS = (
    "entry_class",
    "section",
    "item_number",
    "wording",
    "industry_prefixes",
    "keywords",
    "provenance",
    "source",
)


def load(apps, schema_editor):
    Rule = apps.get_model("screening", "Rule")
    CatalogueEntry = apps.get_model("screening", "CatalogueEntry")
    CatalogueVersion = apps.get_model("screening", "CatalogueVersion")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    Rule.objects.bulk_create([Rule(**{k: r[k] for k in RULE_FIELDS}) for r in data["rules"]])
    CatalogueEntry.objects.bulk_create([CatalogueEntry(**{k: e[k] for k in ENTRY_FIELDS}) for e in data["entries"]])
    CatalogueVersion.objects.update_or_create(pk=1, defaults={"number": 1})


def unload(apps, schema_editor):
    apps.get_model("screening", "Rule").objects.all().delete()
    apps.get_model("screening", "CatalogueEntry").objects.all().delete()
    apps.get_model("screening", "CatalogueVersion").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0001_catalogue"),
    ]

    operations = [migrations.RunPython(load, unload)]
