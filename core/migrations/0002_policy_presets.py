from django.db import migrations


def forwards(apps, schema_editor):
    from core.presets import load_presets

    load_presets(apps.get_model("core", "PolicyProfile"))


def backwards(apps, schema_editor):
    apps.get_model("core", "PolicyProfile").objects.filter(is_preset=True).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
