"""The language a response speaks.

Django's LocaleMiddleware picks it from Accept-Language among settings.LANGUAGES and
sets Content-Language. A request without that header is answered in the signed-in
user's language; API users sign in with a token read by the view (DRF), after the
middleware ran, so the authentication classes call `use_account_language` once they know
the user.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation


def supported_language(code: object) -> str | None:
    """`code` if the API speaks it, else None."""
    return code if isinstance(code, str) and code in dict(settings.LANGUAGES) else None


def use_account_language(request: Any, language: object) -> None:
    """Answer `request` in `language` (a user's preference) unless it names its own."""
    meta = getattr(request, "META", {})
    if meta.get("HTTP_ACCEPT_LANGUAGE"):
        return
    code = supported_language(language)
    if code is None:
        return
    translation.activate(code)
    request.LANGUAGE_CODE = code


def current_language() -> str:
    """The active language, one of settings.LANGUAGES (English outside a request)."""
    return supported_language(translation.get_language()) or settings.LANGUAGE_CODE
