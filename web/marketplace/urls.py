from django.urls import path

from web.marketplace import api

urlpatterns = [
    path("marketplace/tutors/", api.TutorListApi.as_view(), name="marketplace-tutors"),
    path("marketplace/suggest/", api.SuggestApi.as_view(), name="marketplace-suggest"),
    path("marketplace/tutors/<int:tutor_id>/", api.TutorDetailApi.as_view(), name="marketplace-tutor"),
]
