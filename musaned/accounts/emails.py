"""E-mails with a one-time link to choose a password, sent outside allauth's own request flow.

Staff invitations and the unlock after a compromise both need one; they are sent after the
transaction commits, so no request (and no sites framework) is available to build the link.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import User


def subject_line(text: str) -> str:
    """One line, with the platform's name in front so people recognise genuine e-mails."""
    return f"{_('Musaned')}: {' '.join(text.splitlines()).strip()}"


def password_link(user: User) -> str:
    """An absolute link to allauth's "choose a new password" page, valid once."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    return settings.SITE_URL.rstrip("/") + path


def send_password_link(user: User, *, template_prefix: str, context: dict[str, Any] | None = None) -> None:
    """Render `<prefix>_subject.txt` / `<prefix>_message.txt` in the person's language and send it."""
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        values = {
            "user": user,
            "password_reset_url": password_link(user),
            "current_site": {"name": _("Musaned"), "domain": urlsplit(settings.SITE_URL).netloc},
        }
        values.update(context or {})
        subject = subject_line(render_to_string(f"{template_prefix}_subject.txt", values))
        body = render_to_string(f"{template_prefix}_message.txt", values)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
