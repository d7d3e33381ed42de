from django.core.management.base import BaseCommand, CommandParser

from web.core.demo import database_is_empty, seed_demo


class Command(BaseCommand):
    help = "Load demo data (idempotent). --if-empty does nothing when users already exist."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="only seed an empty database")

    def handle(self, *args: object, **options: object) -> None:
        if options["if_empty"] and not database_is_empty():
            self.stdout.write("seed_demo: database already has data, skipped")
            return
        report = seed_demo()
        self.stdout.write(f"seed_demo: {report.users_created} users created")
