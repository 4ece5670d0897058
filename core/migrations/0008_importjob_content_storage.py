"""The uploaded workbook is a zip archive, already compressed: stored out of line without
PostgreSQL's own compression (STORAGE EXTERNAL), which only spent time on it (about 0.1 s
for a 6.6 MB file, for nothing)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0007_profile_question_reply_days")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE core_importjob ALTER COLUMN content SET STORAGE EXTERNAL",
            "ALTER TABLE core_importjob ALTER COLUMN content SET STORAGE EXTENDED",
        )
    ]
