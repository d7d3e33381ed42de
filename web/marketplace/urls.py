from django.urls import path

from web.marketplace import api

urlpatterns = [
    path("marketplace/tutors/", api.TutorListApi.as_view(), name="marketplace-tutors"),
    path("marketplace/tutors/<int:tutor_id>/", api.TutorDetailApi.as_view(), name="marketplace-tutor"),
]
