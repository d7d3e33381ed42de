"""The admin site: Django's, with the sign-in limits of the API on its login form.

Staff passwords are the most valuable ones, so the admin login counts attempts per
address and per account exactly as `POST /api/auth/token/` does (a 429 with
Retry-After past the limit).
"""

from __future__ import annotations

import math
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from web.accounts.services import login_attempt
from web.accounts.signin_limits import signin_failed
from web.core.errors import RateLimited
from web.core.identity import client_address


class AdminSite(admin.AdminSite):
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method == "POST":
            try:
                login_attempt(request.POST.get("username"), client_address(request))
            except RateLimited as exc:
                response = HttpResponse(
                    "Too many sign-in attempts, retry later.\n", status=429, content_type="text/plain"
                )
                response["Retry-After"] = str(max(1, math.ceil(exc.wait or 1)))
                return response
            response = super().login(request, extra_context)
            if not request.user.is_authenticated:
                signin_failed(request.POST.get("username"), client_address(request))
            return response
        return super().login(request, extra_context)

