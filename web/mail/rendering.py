"""Mail text from templates, one file per language.

`web/mail/templates/mail/<template>/<language>.txt`: the first line is
`Subject: ...`, the rest is the plain-text body. Plain text, so nothing is escaped.
A language without its own file falls back to English.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine, TemplateDoesNotExist
from django.template.loader import get_template

from web.mail.models import DEFAULT_LANGUAGE, LANGUAGES

SUBJECT_PREFIX = "Subject:"


class UnknownTemplate(ValueError):
    """No such mail template (a bug in the caller, not user input)."""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body: str


def template_path(template: str, language: str) -> str:
    return f"mail/{template}/{language}.txt"


def mail_language(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def check_template(template: str) -> None:
    """Raise UnknownTemplate unless the template exists in every language."""
    for language in LANGUAGES:
        try:
            get_template(template_path(template, language))
        except TemplateDoesNotExist:
            raise UnknownTemplate(f"mail template {template!r} has no {language} version") from None


def render_mail(template: str, language: str, context: dict[str, Any]) -> RenderedMail:
    compiled = Engine.get_default().get_template(template_path(template, mail_language(language)))
    text = compiled.render(Context(context, autoescape=False))
    first, _, body = text.partition("\n")
    if not first.startswith(SUBJECT_PREFIX):
        raise UnknownTemplate(f"mail template {template!r} must start with {SUBJECT_PREFIX!r}")
    # A subject is one line whatever the context holds (no header injection).
    subject = " ".join(first[len(SUBJECT_PREFIX):].split())
    return RenderedMail(subject=subject, body=body.lstrip("\n"))
