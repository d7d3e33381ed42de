"""The initial subject catalogue (editable in the admin afterwards)."""

from django.db import migrations

SUBJECTS = [
    ("math", "Математика", "Mathematics", "Matematyka", "maths math algebra geometry алгебра геометрія"),
    ("physics", "Фізика", "Physics", "Fizyka", "фізика physic"),
    ("chemistry", "Хімія", "Chemistry", "Chemia", "chem"),
    ("biology", "Біологія", "Biology", "Biologia", "bio"),
    ("english", "Англійська мова", "English", "Język angielski", "англійська angielski ielts toefl"),
    ("ukrainian", "Українська мова", "Ukrainian", "Język ukraiński", "українська ukraiński"),
    ("polish", "Польська мова", "Polish", "Język polski", "польська polski"),
    ("german", "Німецька мова", "German", "Język niemiecki", "німецька niemiecki deutsch"),
    ("history", "Історія", "History", "Historia", ""),
    ("geography", "Географія", "Geography", "Geografia", ""),
    ("computer-science", "Інформатика", "Computer science", "Informatyka", "programming python програмування"),
    ("music", "Музика", "Music", "Muzyka", "piano guitar фортепіано гітара"),
]


def add_subjects(apps, schema_editor):
    Subject = apps.get_model("profiles", "Subject")
    for slug, uk, en, pl, aliases in SUBJECTS:
        Subject.objects.update_or_create(
            slug=slug, defaults={"name_uk": uk, "name_en": en, "name_pl": pl, "aliases": aliases}
        )


class Migration(migrations.Migration):
    dependencies = [("profiles", "0001_initial")]
    operations = [migrations.RunPython(add_subjects, migrations.RunPython.noop)]
