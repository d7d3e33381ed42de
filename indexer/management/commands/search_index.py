"""python manage.py search_index status|ensure|rebuild|reconcile|rollback"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from indexer.documents import TutorIndexer
from indexer.locks import LockBusyError
from indexer.outbox import outbox_stats
from indexer.rebuild import ensure_index, rebuild, rollback
from indexer.reconcile import reconcile
from search.client import write_client
from search.index_admin import alias_state, index_fingerprint
from web.profiles.selectors import listed_profiles


class Command(BaseCommand):
    help = "Operate the tutor search index."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["status", "ensure", "rebuild", "reconcile", "rollback"])
        parser.add_argument("--dry-run", action="store_true", help="reconcile: report only, repair nothing")
        parser.add_argument("--batch-size", type=int, default=None, help="rebuild: documents per bulk request")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "status":
                self._print(self.status())
            elif action == "ensure":
                report = ensure_index(rebuild_outdated=True)
                self._print(report.as_dict() if report else {"ensure": "index present and current, nothing to do"})
                if report and not report.swapped:
                    raise CommandError(f"build failed, aliases unchanged: {report.reason}")
            elif action == "rebuild":
                report = rebuild(batch_size=options["batch_size"])
                self._print(report.as_dict())
                if not report.swapped:
                    raise CommandError(f"gate failed, aliases unchanged: {report.reason}")
            elif action == "reconcile":
                self._print(reconcile(repair=not options["dry_run"]).counts())
            elif action == "rollback":
                self._print({"rolled_back_to": rollback()})
        except (LockBusyError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc

    def status(self) -> dict[str, Any]:
        client = write_client()
        definition = TutorIndexer.definition
        state = alias_state(client, definition)
        stats = outbox_stats()
        counts = {name: client.count(index=name)["count"] for name in state.all_indices}
        return {
            "read_alias": {definition.read_alias: state.read},
            "write_alias": {definition.write_alias: state.write},
            "indices": counts,
            "documents": counts.get(state.live, 0) if state.live else 0,
            # False: the live index predates this code's mapping; `ensure` rebuilds it.
            "definition_current": (
                index_fingerprint(client, state.live) == definition.fingerprint() if state.live else None
            ),
            "db_listed_tutors": listed_profiles().count(),
            "outbox_backlog": stats.backlog,
            "outbox_oldest_age_seconds": round(stats.oldest_age_seconds, 1),
        }

    def _print(self, data: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(data, indent=2, default=str))
