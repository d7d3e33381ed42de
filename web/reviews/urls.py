from django.urls import path

from web.reviews import api

urlpatterns = [
    path("tutors/<int:tutor_id>/reviews/", api.ReviewCreateApi.as_view(), name="tutor-review-create"),
    path("me/reviews/", api.ReviewMineApi.as_view(), name="me-reviews"),
    path("reviews/<int:review_id>/", api.ReviewDetailApi.as_view(), name="review-detail"),
    path("reviews/<int:review_id>/reply/", api.ReviewReplyApi.as_view(), name="review-reply"),
    path("reviews/<int:review_id>/flag/", api.ReviewFlagApi.as_view(), name="review-flag"),
    path(
        "marketplace/tutors/<int:tutor_id>/reviews/", api.TutorReviewListApi.as_view(), name="marketplace-tutor-reviews"
    ),
]
