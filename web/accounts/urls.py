from django.urls import path

from web.accounts import api

urlpatterns = [
    path("auth/register/", api.RegisterApi.as_view(), name="auth-register"),
    path("auth/token/", api.TokenObtainApi.as_view(), name="auth-token"),
    path("auth/token/refresh/", api.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("me/", api.MeApi.as_view(), name="me"),
]
