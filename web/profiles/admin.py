from django.contrib import admin

from web.profiles.models import AvailabilitySlot, ProfileDraft, Subject, TutorProfile


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    """Names and aliases are edited freely (saving reindexes every tutor teaching the
    subject). The slug is what profiles, documents and the `subject` filter refer to, so
    it is fixed once created, and a subject someone teaches cannot be deleted: renaming or
    deleting it would leave those profiles pointing at nothing. Deactivate it instead (no
    new tutor can choose it; those who teach it keep it)."""

    list_display = ["slug", "name_en", "name_uk", "name_pl", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["slug", "name_en", "name_uk", "name_pl", "aliases"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return ["slug"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        if obj is not None and TutorProfile.objects.filter(subjects__contains=[obj.slug]).exists():
            return False
        return super().has_delete_permission(request, obj)


class SlotInline(admin.TabularInline):
    """Read-only: slots change through the tutor's API, which versions and reindexes them."""

    model = AvailabilitySlot
    extra = 0
    can_delete = False
    readonly_fields = ["weekday", "start", "end"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(TutorProfile)
class TutorProfileAdmin(admin.ModelAdmin):
    """View and delete only: edits belong to the tutor's API, which versions and reindexes
    them. Even with every field read-only, "Save" would write back the whole row as it
    was read, unlocked, and could undo a concurrent edit and its version."""

    list_display = ["user", "headline", "hourly_rate", "public_profile_enabled", "version", "updated_at"]
    list_filter = ["public_profile_enabled"]
    search_fields = ["user__email", "user__full_name", "headline"]
    readonly_fields = [f.name for f in TutorProfile._meta.fields]
    inlines = [SlotInline]

    def has_add_permission(self, request):  # profiles are created at registration
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ProfileDraft)
class ProfileDraftAdmin(admin.ModelAdmin):
    """View and delete only: a draft belongs to its tutor's autosave."""

    list_display = ["user", "updated_at"]
    readonly_fields = ["user", "data", "updated_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
