"""Keeping availability right across daylight-saving changes.

Slots are indexed in minutes of the UTC week with the offsets in force during the
coming week (search/availability.py). When a transition enters or leaves that week, the
documents of tutors in that zone encode some slots one hour off; this job finds those
zones and records their tutors in the outbox, so the index workers rebuild them with
the new offsets. It runs daily just after midnight UTC, when the coming week moves on.
"""

from __future__ import annotations

import logging
from datetime import date

from django.db import transaction

from indexer.changes import tutors_changed
from search.availability import zones_to_reindex
from web.profiles.selectors import listed_profiles

log = logging.getLogger("mash.indexer")


def reindex_shifted_zones(today: date) -> dict[str, int]:
    """Record a change for every listed tutor whose zone's coming-week offsets differ from
    those of the last two days; returns tutors recorded per zone."""
    zones = set(listed_profiles().values_list("timezone", flat=True).distinct())
    shifted = zones_to_reindex(zones, today)
    recorded: dict[str, int] = {}
    for name in shifted:
        ids = list(listed_profiles().filter(timezone=name).values_list("pk", flat=True))
        with transaction.atomic():
            recorded[name] = tutors_changed(ids)
    if recorded:
        log.info("availability re-encoded for an offset change", extra={"zones": recorded})
    return recorded
