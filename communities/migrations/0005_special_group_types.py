"""The special groups of issue #4 as data, for every profile (profile = NULL). A street may
add its own per profile in the admin."""

from django.db import migrations

TYPES = [
    # code, name, has_amount, has_grade, min_age
    ("dibao", "低保", True, False, None),
    ("tekun", "特困供养", True, False, None),
    ("disabled", "残疾人", False, True, None),
    ("elderly_80", "高龄老人", False, False, 80),
    ("living_alone", "独居老人", False, False, 60),
    ("youfu", "优抚对象", True, False, None),
    ("unemployed", "失业人员", False, False, None),
    ("left_behind_child", "留守儿童", False, False, None),
]


def forward(apps, schema_editor):
    SpecialGroupType = apps.get_model("communities", "SpecialGroupType")
    for order, (code, name, amount, grade, min_age) in enumerate(TYPES, start=1):
        SpecialGroupType.objects.update_or_create(
            profile=None,
            code=code,
            defaults={
                "name": name,
                "has_amount": amount,
                "has_grade": grade,
                "min_age": min_age,
                "sort_order": order * 10,
            },
        )


def backward(apps, schema_editor):
    SpecialGroupType = apps.get_model("communities", "SpecialGroupType")
    SpecialGroupType.objects.filter(profile=None, code__in=[t[0] for t in TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("communities", "0004_ledgers")]
    operations = [migrations.RunPython(forward, backward)]
