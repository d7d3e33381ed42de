from django.db import migrations, models
from django.db.models import F


def verify_existing_accounts(apps, schema_editor):
    """Accounts made before addresses were verified keep their place: a listed tutor must
    not leave the marketplace because a check was added after they registered."""
    User = apps.get_model("accounts", "User")
    User.objects.filter(email_verified_at__isnull=True).update(email_verified_at=F("date_joined"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="user", name="email_verified_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(model_name="user", name="deleted_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.RunPython(verify_existing_accounts, migrations.RunPython.noop),
    ]
