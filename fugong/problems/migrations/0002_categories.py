"""The problem categories named in the seed documents (000, 003), with the default time limits."""

from django.db import migrations

CATEGORIES = [
    "防疫物资短缺",
    "物流运输不畅",
    "贸易订单纠纷",
    "资金周转困难",
    "手续审批",
    "用工难",
    "融资难",
    "产品积压",
    "运输受限",
    "原材料供应",
    "资质认证",
    "产品检测",
    "其他",
]


def add(apps, schema_editor):
    Category = apps.get_model("problems", "Category")
    for order, name in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(name=name, defaults={"sort_order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("problems", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
