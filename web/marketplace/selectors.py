"""Reads of the marketplace: tutor search (from the index) and the public profile (from the DB)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, cast

from django.db import DatabaseError, connection

from search.availability import slots_in_zone
from search.query import TutorQuery
from search.results import SearchPage
from search.suggest import SubjectNames, tutor_suggest
from search.tutors import tutor_search
from web.accounts.models import User
from web.profiles.models import Subject
from web.profiles.selectors import tutor_profile_get, tutor_public_profile

log = logging.getLogger("mash.marketplace")

SUBJECTS_TTL_SECONDS = 60.0


class CatalogueUnavailable(RuntimeError):
    """The subject catalogue has never been loaded in this process and the database cannot
    be read now; retry after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("the subject catalogue cannot be loaded")
        self.retry_after = retry_after


class SubjectCatalogue(frozenset[str]):
    """The catalogue's slugs, with each subject's name by language (`names[slug][lang]`)."""

    names: Mapping[str, Mapping[str, str]]

    def __new__(cls, names: Mapping[str, Mapping[str, str]]) -> SubjectCatalogue:
        catalogue = super().__new__(cls, names)
        catalogue.names = names
        return catalogue

    def name(self, slug: str, language: str) -> str:
        """The subject's name in `language` (uk, en or pl); the slug for an unknown subject."""
        names = self.names.get(slug)
        return names.get(language) or names["en"] if names else slug


class SubjectSlugCache:
    """The catalogue's subject slugs, kept in process so validating `subject` costs no query.

    Every catalogue slug, deactivated ones too: a deactivated subject cannot be chosen
    anew, but the tutors who teach it keep it, so their documents and the facets still
    show it, and a filter by it must work. The catalogue is a dozen rows edited rarely
    in the admin. The web server loads it when a worker starts (config/gunicorn.conf.py);
    otherwise the first use loads it, once for all threads. A failed first load is
    remembered for `retry_after` seconds, so while the database is down every request
    does not wait for it again. Afterwards a copy older than `ttl` is still served while
    a background thread reloads it, so a search request never waits for (or runs) SQL,
    and an admin edit is honoured within about a minute.
    """

    def __init__(self, ttl: float = SUBJECTS_TTL_SECONDS, retry_after: float = 5.0) -> None:
        self.ttl = ttl
        self.retry_after = retry_after
        self._slugs: SubjectCatalogue | None = None
        self._loaded_at = 0.0
        self._failed_at: float | None = None
        self._lock = threading.Lock()
        self._first_load = threading.Lock()
        self._refreshing = False

    @staticmethod
    def _load() -> SubjectCatalogue:
        return SubjectCatalogue(
            {
                slug: {"uk": name_uk, "en": name_en, "pl": name_pl}
                for slug, name_uk, name_en, name_pl in Subject.objects.values_list(
                    "slug", "name_uk", "name_en", "name_pl"
                )
            }
        )

    def _load_first(self) -> SubjectCatalogue:
        with self._first_load:
            if self._slugs is not None:  # another thread loaded it meanwhile
                return self._slugs
            wait = max(1, round(self.retry_after))
            if self._failed_at is not None and time.monotonic() - self._failed_at < self.retry_after:
                raise CatalogueUnavailable(wait)
            try:
                slugs = self._load()
            except DatabaseError as exc:
                self._failed_at = time.monotonic()
                log.error("subject catalogue cannot be loaded", extra={"error": str(exc)})
                raise CatalogueUnavailable(wait) from exc
            with self._lock:
                self._slugs, self._loaded_at, self._failed_at = slugs, time.monotonic(), None
            return slugs

    def _refresh_in_background(self) -> None:
        def work() -> None:
            try:
                slugs = self._load()
                with self._lock:
                    self._slugs, self._loaded_at = slugs, time.monotonic()
            except DatabaseError as exc:
                log.warning("subject catalogue refresh failed, keeping the old copy", extra={"error": str(exc)})
            finally:
                self._refreshing = False
                connection.close()  # this thread's own connection

        thread = threading.Thread(target=work, name="subject-slugs-refresh", daemon=True)
        thread.start()

    def slugs(self) -> SubjectCatalogue:
        current = self._slugs
        if current is None:
            return self._load_first()
        if time.monotonic() - self._loaded_at > self.ttl:
            with self._lock:
                start = not self._refreshing
                self._refreshing = True
            if start:
                self._refresh_in_background()
        return current

    def clear(self) -> None:
        with self._lock:
            self._slugs, self._failed_at = None, None


subject_slugs_cache = SubjectSlugCache()


def subject_slugs() -> SubjectCatalogue:
    """Slugs a `subject` filter may name (the whole catalogue); raises CatalogueUnavailable."""
    return subject_slugs_cache.slugs()


class ViewerZones:
    """Signed-in visitors' time zones, kept in process for `ttl` seconds: a search that
    reads a window in the visitor's zone costs one small query per visitor and minute,
    not one per request (a zone changed in the profile is honoured within the TTL)."""

    def __init__(self, ttl: float = 60.0, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self._zones: dict[int, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, user_id: int) -> str:
        now = time.monotonic()
        cached = self._zones.get(user_id)
        if cached is not None and now - cached[1] < self.ttl:
            return cached[0]
        zone = User.objects.filter(pk=user_id).values_list("timezone", flat=True).first() or "UTC"
        with self._lock:
            if len(self._zones) >= self.size:
                self._zones.clear()
            self._zones[user_id] = (zone, now)
        return zone

    def clear(self) -> None:
        with self._lock:
            self._zones.clear()


viewer_zones = ViewerZones()


def viewer_time_zone(user_id: int | None) -> str:
    """The zone a visitor reads times in: their account's, or UTC for an anonymous one."""
    if user_id is None:
        return "UTC"
    try:
        return viewer_zones.get(user_id)
    except DatabaseError as exc:
        log.error("visitor time zone cannot be read", extra={"error": str(exc)})
        raise CatalogueUnavailable(5) from exc


def subject_names(slugs: Iterable[str], language: str) -> list[str]:
    """The names of `slugs` in `language`, from the cached catalogue (no SQL on a warm
    process; raises CatalogueUnavailable on a cold one whose database is down)."""
    catalogue = subject_slugs_cache.slugs()
    return [catalogue.name(slug, language) for slug in slugs]


def marketplace_tutor_search(
    query: TutorQuery, *, page_size: int, cursor: str | None = None, facets: bool = False
) -> SearchPage:
    """A page of listed tutors from the search index; no SQL.

    Raises search.cursor.InvalidCursor and search.breaker.SearchUnavailable.
    """
    return tutor_search(query, page_size=page_size, cursor=cursor, facets=facets)


def marketplace_tutor_detail(
    tutor_id: int, viewer_tz: str | None = None, reference: date | None = None
) -> dict[str, Any] | None:
    """The public profile of a listed tutor (privacy applied), or None when not listed.

    With `viewer_tz`, also its slots on the viewer's clock for the coming week
    (`availability_viewer`), beside the tutor's own (`availability`, in `timezone`).
    """
    profile = tutor_profile_get(tutor_id)
    public = tutor_public_profile(profile) if profile is not None else None
    if public is not None and viewer_tz is not None:
        public["availability_viewer"] = {
            "timezone": viewer_tz,
            "slots": slots_in_zone(
                public["availability"], public["timezone"], viewer_tz, reference or datetime.now(UTC).date()
            ),
        }
    return public



class SubjectNamesCache(SubjectSlugCache):
    """The active catalogue subjects with their names (uk, en, pl, aliases), kept in process
    like the slugs, so a suggestion runs no SQL."""

    @staticmethod
    def _load() -> frozenset[SubjectNames]:  # type: ignore[override]
        return frozenset(
            SubjectNames(s.slug, (s.name_uk, s.name_en, s.name_pl, *s.aliases.split()))
            for s in Subject.objects.filter(is_active=True)
        )


subject_names_cache = SubjectNamesCache()


def marketplace_suggest(typed: str) -> list[dict[str, Any]]:
    """Completions of what a visitor has typed: subjects, tutor names, headline phrases; no SQL.

    Raises CatalogueUnavailable and search.breaker.SearchUnavailable.
    """
    # The cache holds SubjectNames here (its loader is overridden), not slugs.
    names = cast("frozenset[SubjectNames]", subject_names_cache.slugs())
    subjects = sorted(names, key=lambda s: s.slug)
    return tutor_suggest(typed, subjects)
