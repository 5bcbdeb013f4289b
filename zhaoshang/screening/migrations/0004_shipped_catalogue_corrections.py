"""Corrections of the shipped catalogue (zhaoshang/screening/data/catalogue.json), brought to
databases loaded before them:

- 5NO-CROWDFUNDING also blocks public fund-raising phrasing: 向社会公众募集, 向社会公众集资,
  按份额返还收益, 保本保息, 非法集资;
- 5NO-P2P also blocks on the industry code 6637 网络借贷服务, which GB/T 4754-2017 defines as
  P2P lending, whatever the text says;
- 3NO-POLICY-MACHINE-TOOLS names the catalogue's classes as it numbers them: 第二类 限制类、
  第三类 淘汰类.

A rule is corrected only while it still holds what was shipped and its history shows no edit:
a zone that edited it keeps its own version.  Each correction is in the rule's history (source "command") and counts as
a change of the catalogue (its version goes up by one), so verdicts say which catalogue they
were computed with; ``manage.py rescreen`` brings the stored verdicts up to date (the pipeline's
gate already screens with the corrected rules)."""

from django.db import migrations
from django.db.models import F
from django.utils import timezone

CORRECTIONS = {
    "5NO-CROWDFUNDING": {
        "keywords": (
            ["众筹", "公众集资", "全民集资"],
            [
                "众筹",
                "公众集资",
                "全民集资",
                "向社会公众募集",
                "向社会公众集资",
                "按份额返还收益",
                "保本保息",
                "非法集资",
            ],
        ),
    },
    "5NO-P2P": {"industry_prefixes": ([], ["6637"])},
    "3NO-POLICY-MACHINE-TOOLS": {
        "basis": (
            "《产业结构调整指导目录（2024年本）》（国家发展改革委令第7号）第二类 限制类、淘汰类中的机床工具产品条目",
            "《产业结构调整指导目录（2024年本）》（国家发展改革委令第7号）第二类 限制类、第三类 淘汰类中的机床工具产品条目",
        ),
    },
}
MESSAGE = "随平台更新的甄别目录更正 Correction of the shipped catalogue"


def correct(apps, schema_editor):
    Rule = apps.get_model("screening", "Rule")
    CatalogueVersion = apps.get_model("screening", "CatalogueVersion")
    ChangeLog = apps.get_model("core", "ChangeLog")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type, _created = ContentType.objects.get_or_create(app_label="screening", model="rule")
    changed = 0
    for code, fields in CORRECTIONS.items():
        rule = Rule.objects.filter(code=code).first()
        if rule is None or any(getattr(rule, name) != old for name, (old, _new) in fields.items()):
            continue  # not shipped here, or already corrected
        if ChangeLog.objects.filter(content_type=content_type, object_id=rule.pk, action="update").exists():
            continue  # the zone edited it: its own version stays
        for name, (_old, new) in fields.items():
            setattr(rule, name, new)
        rule.revision += 1
        rule.save(update_fields=[*fields, "revision", "updated"])
        ChangeLog.objects.create(
            source="command",
            action="update",
            content_type=content_type,
            object_id=rule.pk,
            object_repr=str(rule.code)[:200],
            before={name: old for name, (old, _new) in fields.items()},
            after={name: new for name, (_old, new) in fields.items()},
            message=MESSAGE,
            revision=rule.revision,
        )
        changed += 1
    if changed:
        CatalogueVersion.objects.filter(pk=1).update(number=F("number") + 1, changed=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0003_revisions"),
        ("core", "0003_revisions"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(correct, migrations.RunPython.noop)]
