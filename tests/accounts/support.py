"""Helpers shared by the account, ministry and office tests."""

import re
import time

from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36"
)


def totp_code(secret: str = SECRET) -> str:
    """The code an authenticator app shows now for `secret`."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def with_totp(user, secret: str = SECRET):
    TOTP.activate(user, secret)
    return user


def sign_in(client, email: str, password: str = PASSWORD, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def last_link(outbox_index: int = -1) -> str:
    """The first site link in an e-mail sent through Django's mail (allauth and our own e-mails)."""
    body = mail.outbox[outbox_index].body
    return re.search(r"https?://[^/\s]+(/\S+)", body).group(1)
