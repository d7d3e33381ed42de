from django.urls import path

from web.relations import api

urlpatterns = [
    # The student's side.
    path("student/relations/", api.StudentRelationsApi.as_view(), name="student-relations"),
    path("student/relations/<int:relation_id>/accept/", api.StudentRelationAcceptApi.as_view(),
         name="student-relation-accept"),
    path("student/relations/<int:relation_id>/decline/", api.StudentRelationDeclineApi.as_view(),
         name="student-relation-decline"),
    path("student/relations/<int:relation_id>/cancel/", api.StudentRelationCancelApi.as_view(),
         name="student-relation-cancel"),
    path("student/relations/<int:relation_id>/resend/", api.StudentRelationResendApi.as_view(),
         name="student-relation-resend"),
    path("student/relations/<int:relation_id>/end/", api.StudentRelationEndApi.as_view(),
         name="student-relation-end"),
    path("student/my_tutor/", api.StudentMyTutorApi.as_view(), name="student-my-tutor"),
    # The tutor's dashboard.
    path("tutor/relations/", api.TutorRelationsApi.as_view(), name="tutor-relations"),
    path("tutor/relations/invite/", api.TutorRelationInviteApi.as_view(), name="tutor-relation-invite"),
    path("tutor/relations/recent_actions/", api.TutorRecentActionsApi.as_view(), name="tutor-relations-recent"),
    path("tutor/relations/batch/accept/", api.TutorRelationBatchAcceptApi.as_view(),
         name="tutor-relations-batch-accept"),
    path("tutor/relations/batch/archive/", api.TutorRelationBatchArchiveApi.as_view(),
         name="tutor-relations-batch-archive"),
    path("tutor/relations/<int:relation_id>/accept/", api.TutorRelationAcceptApi.as_view(),
         name="tutor-relation-accept"),
    path("tutor/relations/<int:relation_id>/decline/", api.TutorRelationDeclineApi.as_view(),
         name="tutor-relation-decline"),
    path("tutor/relations/<int:relation_id>/archive/", api.TutorRelationArchiveApi.as_view(),
         name="tutor-relation-archive"),
    path("tutor/relations/<int:relation_id>/cancel/", api.TutorRelationCancelApi.as_view(),
         name="tutor-relation-cancel"),
    path("tutor/relations/<int:relation_id>/resend/", api.TutorRelationResendApi.as_view(),
         name="tutor-relation-resend"),
]
