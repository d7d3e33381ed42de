from django.urls import path

from web.accounts import api

urlpatterns = [
    path("auth/register/", api.RegisterApi.as_view(), name="auth-register"),
    path("auth/token/", api.TokenObtainApi.as_view(), name="auth-token"),
    path("auth/token/refresh/", api.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout/", api.LogoutApi.as_view(), name="auth-logout"),
    path("auth/verify-email/", api.EmailVerifyApi.as_view(), name="auth-verify-email"),
    path("auth/password-reset/", api.PasswordResetApi.as_view(), name="auth-password-reset"),
    path("auth/password-reset/confirm/", api.PasswordResetConfirmApi.as_view(), name="auth-password-reset-confirm"),
    path("me/", api.MeApi.as_view(), name="me"),
    path("me/password/", api.PasswordChangeApi.as_view(), name="me-password"),
    path("me/export/", api.AccountExportApi.as_view(), name="me-export"),
    path("me/verify-email/resend/", api.EmailVerificationResendApi.as_view(), name="me-verify-email-resend"),
]
