import django.contrib.postgres.fields
from django.db import migrations, models

import web.profiles.models


class Migration(migrations.Migration):

    dependencies = [
        ("profiles", "0004_active_students"),
    ]

    operations = [
        migrations.AddField(
            model_name="tutorprofile",
            name="rating_sum",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="tutorprofile",
            name="rating_histogram",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.PositiveIntegerField(), default=web.profiles.models.empty_histogram, size=5
            ),
        ),
        migrations.AddField(
            model_name="tutorprofile",
            name="rating_score",
            field=models.DecimalField(decimal_places=4, default=0, max_digits=5),
        ),
    ]
