from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("profiles", "0003_slot_may_end_at_midnight"),
    ]

    operations = [
        migrations.AddField(
            model_name="tutorprofile",
            name="active_students",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
