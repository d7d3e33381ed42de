from django.db import migrations, models


class Migration(migrations.Migration):
    """The dashboard's counters: one index-only scan of the tutor's range."""

    dependencies = [
        ("relations", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="relation",
            index=models.Index(fields=["tutor", "status"], name="relation_tutor_status_idx"),
        ),
    ]
