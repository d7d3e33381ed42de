"""Lessons in the admin: to look up, not to edit. A change made here would skip the
history row, the activity event and the mail to the other party, so lessons change
only through the API (services)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from web.lessons.models import Lesson, LessonChange


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class LessonChangeInline(admin.TabularInline):
    model = LessonChange
    extra = 0
    fields = ("created_at", "kind", "actor", "old_start", "new_start", "old_status", "new_status", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Lesson)
class LessonAdmin(_ReadOnly):
    list_display = ["id", "start", "end", "status", "tutor", "student", "late_cancellation", "sequence"]
    list_filter = ["status", "late_cancellation"]
    search_fields = ["tutor__email", "student__email", "=id"]
    list_select_related = ["tutor", "student"]
    raw_id_fields = ["tutor", "student", "cancelled_by"]
    ordering = ["-start", "-id"]
    date_hierarchy = "start"
    show_full_result_count = False
    inlines = [LessonChangeInline]


@admin.register(LessonChange)
class LessonChangeAdmin(_ReadOnly):
    list_display = ["created_at", "lesson", "kind", "actor", "old_status", "new_status"]
    list_filter = ["kind"]
    search_fields = ["=lesson__id", "actor__email"]
    list_select_related = ["lesson", "actor"]
    raw_id_fields = ["lesson", "actor"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
