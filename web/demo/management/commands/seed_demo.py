import json

from django.core.management.base import BaseCommand, CommandParser

from search.morphology import morphology_warm_up
from web.demo.seed import DEFAULT_SEED, DEFAULT_STUDENTS, DEFAULT_TUTORS, marketplace_is_empty, seed_demo


class Command(BaseCommand):
    help = (
        "Load demo data (idempotent: existing people are skipped), rebuild the search index "
        "from the database and run a demo search. --if-empty does nothing when tutors exist."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="only seed a database without tutors")
        parser.add_argument("--tutors", type=int, default=DEFAULT_TUTORS, help=f"generated tutors ({DEFAULT_TUTORS})")
        parser.add_argument("--students", type=int, default=DEFAULT_STUDENTS, help=f"students ({DEFAULT_STUDENTS})")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same people)")
        parser.add_argument("--no-index", action="store_true", help="skip the index rebuild and demo search")

    def handle(self, *args: object, **options: object) -> None:
        if options["if_empty"] and not marketplace_is_empty():
            self.stdout.write("seed_demo: the database already has tutors, skipped")
            return
        if not options["no_index"]:
            # The lemmatiser's dictionaries before the data: on a fresh machine this builds
            # them (search/morphology.py), which the index should not wait for.
            morphology_warm_up()
        report = seed_demo(
            tutors=int(options["tutors"]),  # type: ignore[call-overload]
            students=int(options["students"]),  # type: ignore[call-overload]
            seed=int(options["seed"]),  # type: ignore[call-overload]
            index=not options["no_index"],
        )
        self.stdout.write(
            f"seed_demo: {report.users_created} users created ({report.tutors_created} tutors, "
            f"{report.students_created} students, {report.slots_created} availability slots, "
            f"{report.events_created} activity events, {report.relations_created} relations, "
            f"{report.lessons_created} lessons, {report.reviews_created} reviews)"
        )
        if report.index:
            self.stdout.write(f"seed_demo: index {json.dumps(report.index, ensure_ascii=False)}")
        if report.demo_search:
            self.stdout.write(f"seed_demo: demo search {report.demo_search['query']}:")
            for line in report.demo_search["top"]:
                self.stdout.write(f"  {line}")
