"""Reads behind the security pages: an account's activity, its sessions, open security alerts."""

from __future__ import annotations

import re

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AuditEvent, Delegation, User

ACTION_LABELS = {
    "signed_in": gettext_lazy("Signed in"),
    "signed_out": gettext_lazy("Signed out"),
    "sign_in_failed": gettext_lazy("Failed sign-in attempt"),
    "delegation_granted": gettext_lazy("Delegation granted"),
    "delegation_revoked": gettext_lazy("Delegation revoked"),
    "delegation_acting_started": gettext_lazy("Started acting under a delegation"),
    "delegation_acting_stopped": gettext_lazy("Stopped acting under a delegation"),
    "account_reported_compromised": gettext_lazy("Account reported as compromised and locked"),
    "account_unlocked": gettext_lazy("Account unlocked by the ministry"),
    "other_sessions_ended": gettext_lazy("Signed out on all other devices"),
    "password_changed": gettext_lazy("Password changed"),
    "password_reset": gettext_lazy("Password reset by e-mail link"),
    "second_factor_added": gettext_lazy("Second factor set up"),
    "second_factor_removed": gettext_lazy("Second factor removed"),
    "second_factor_failed": gettext_lazy("Wrong second-factor code (the password was right)"),
}

_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action.replace("_", " ")))


def describe_device(user_agent: str) -> str:
    """ "Chrome on Android" from a browser's user-agent string; the raw text is too long to read."""
    agent = user_agent or ""
    if not agent:
        return _("Unknown device")
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser or system:
        return browser or system
    return re.split(r"[\s/;(]", agent, maxsplit=1)[0][:40] or _("Unknown device")


def account_activity(user: User) -> QuerySet[AuditEvent]:
    """Everything recorded for this account or done to it: sign-ins, failed attempts, delegates' acts."""
    user_type = ContentType.objects.get_for_model(User)
    return (
        AuditEvent.objects.filter(Q(on_behalf_of=user) | Q(target_type=user_type, target_id=str(user.pk)))
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def account_sessions(user: User):
    from allauth.usersessions.models import UserSession

    return UserSession.objects.filter(user=user).order_by("-last_seen_at")


def delegations_granted(user: User) -> QuerySet[Delegation]:
    return user.delegations_granted.select_related("delegate").order_by("revoked_at", "-created_at")


def delegations_received(user: User) -> QuerySet[Delegation]:
    return user.delegations_received.select_related("principal").order_by("revoked_at", "-created_at")


def locked_accounts() -> QuerySet[User]:
    """Open security alerts: accounts locked after a compromise report, waiting for an identity check."""
    return User.objects.filter(locked_at__isnull=False).order_by("-locked_at")


def recent_unlocks(limit: int = 20) -> list[AuditEvent]:
    events = list(
        AuditEvent.objects.filter(action="account_unlocked")
        .select_related("actor")
        .order_by("-created_at")[:limit]
    )
    users = User.objects.in_bulk([int(event.target_id) for event in events if event.target_id.isdigit()])
    for event in events:
        event.unlocked_user = users.get(int(event.target_id)) if event.target_id.isdigit() else None
    return events
