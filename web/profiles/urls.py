from django.urls import path

from web.profiles import api

urlpatterns = [
    path("subjects/", api.SubjectListApi.as_view(), name="subjects"),
    path("me/profile/", api.ProfileMeApi.as_view(), name="me-profile"),
    path("me/profile/snapshots/", api.SnapshotListApi.as_view(), name="me-profile-snapshots"),
    path(
        "me/profile/snapshots/<int:snapshot_id>/restore/", api.SnapshotRestoreApi.as_view(), name="me-profile-restore"
    ),
    path("me/profile/autosave/", api.DraftApi.as_view(), name="me-profile-autosave"),
    path("me/profile/autosave/diff/", api.DraftDiffApi.as_view(), name="me-profile-autosave-diff"),
    path("me/profile/autosave/publish/", api.DraftPublishApi.as_view(), name="me-profile-autosave-publish"),
    path("me/availability/", api.AvailabilityApi.as_view(), name="me-availability"),
]
