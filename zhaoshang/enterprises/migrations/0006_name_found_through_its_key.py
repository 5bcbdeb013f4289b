"""The index on the enterprise name goes: a name is looked up through its key, which has
its own index, and each import would otherwise fill two indexes over the same names.

Only the index is dropped (a plain AlterField would rebuild the whole table on SQLite and
lose the full-text index's triggers with it)."""

from typing import Any

from django.db import migrations, models

TABLE = "enterprises_enterprise"


def drop_name_indexes(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    for name, info in constraints.items():
        if info["index"] and info["columns"] == ["name"] and not info["unique"] and not info["primary_key"]:
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_name_indexes(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("enterprises", "Enterprise")
    for sql in schema_editor._field_indexes_sql(model, model._meta.get_field("name")):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0005_fulltext_search_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="enterprise",
                    name="name",
                    field=models.CharField(max_length=200, verbose_name="name"),
                ),
            ],
            database_operations=[migrations.RunPython(drop_name_indexes, create_name_indexes)],
        ),
    ]
