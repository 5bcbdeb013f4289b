"""Chinese substring search moves from a table of (gram, enterprise) rows to one column of
grams per enterprise under the database's own full-text index (see search_index.py)."""

from typing import Any

from django.db import migrations, models


def fill_and_index(apps: Any, schema_editor: Any) -> None:
    from zhaoshang.enterprises import rules, search_index

    Enterprise = apps.get_model("enterprises", "Enterprise")
    rows = Enterprise.objects.filter(merged_into__isnull=True).values_list("id", "name", "former_names")
    batch = []
    for pk, name, former in rows.iterator(chunk_size=2000):
        batch.append(Enterprise(id=pk, search_grams=rules.index_text(name, former)))
        if len(batch) >= 2000:
            Enterprise.objects.bulk_update(batch, ["search_grams"])
            batch = []
    if batch:
        Enterprise.objects.bulk_update(batch, ["search_grams"])
    search_index.install(schema_editor.connection)


def drop_index(apps: Any, schema_editor: Any) -> None:
    from zhaoshang.enterprises import search_index

    search_index.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0004_indexes_for_speed"),
    ]

    operations = [
        migrations.AddField(
            model_name="enterprise",
            name="search_grams",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_and_index, drop_index),
        migrations.DeleteModel(
            name="EnterpriseGram",
        ),
    ]
