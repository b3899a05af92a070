"""Loads GB/T 4754-2017 (门类, 大类) and the default sector tags."""

from django.db import migrations


def load(apps, schema_editor):
    from fugong.enterprises.reference import load_reference_data

    load_reference_data(apps.get_model("enterprises", "Industry"), apps.get_model("enterprises", "SectorTag"))


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
