"""Writes the accounts app knows by name: audit trail, delegations, compromised accounts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .actor import Actor
from .models import AuditEvent, Delegation, DelegationScope, User
from .roles import Role


def audit_record(
    *,
    action: str,
    actor: Actor | None,
    target: models.Model | None = None,
    from_state: str = "",
    to_state: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record one act; `actor=None` means the system did it (a task, a schedule)."""
    return AuditEvent.objects.create(
        action=action,
        actor=actor.user if actor else None,
        on_behalf_of=actor.principal if actor else None,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        from_state=str(from_state or ""),
        to_state=str(to_state or ""),
        changes=changes or {},
        ip_address=actor.ip_address if actor else None,
        user_agent=(actor.user_agent if actor else "")[:300],
    )


def model_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-by-field difference, as {field: [old, new]}, for the audit trail."""
    return {
        key: [_plain(before.get(key)), _plain(value)]
        for key, value in after.items()
        if before.get(key) != value
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


# --- delegations -------------------------------------------------------------------------------

DELEGATION_MAX_DAYS = 365


def _own_account(actor: Actor) -> Actor:
    """The same person acting for their own account (security acts are never done for someone else)."""
    return Actor.direct(actor.user, ip_address=actor.ip_address, user_agent=actor.user_agent)


def _notify_on_commit(**kwargs: Any) -> None:
    def send() -> None:
        from musaned.notifications.services import notify

        notify(**kwargs)

    transaction.on_commit(send)


@transaction.atomic
def delegation_grant(*, actor: Actor, delegate_email: str, scope: str, valid_until: dt.date) -> Delegation:
    """Let a named person act for the actor's account within one scope until a date (at most a year)."""
    if actor.is_delegate:
        raise PermissionDenied(
            _("A delegate cannot pass a delegation on. Switch back to your own account first.")
        )
    principal = User.objects.select_for_update().get(pk=actor.principal.pk)
    if not (principal.is_household or principal.has_perm("accounts.grant_delegation")):
        raise PermissionDenied(_("Only a household or an office manager can grant a delegation."))

    errors: dict[str, str] = {}
    if scope not in DelegationScope.values:
        errors["scope"] = _("Choose what the delegate may do.")
    today = timezone.localdate()
    if valid_until <= today:
        errors["valid_until"] = _("The last day must be in the future.")
    elif valid_until > today + dt.timedelta(days=DELEGATION_MAX_DAYS):
        errors["valid_until"] = _("A delegation can last at most one year.")
    email = (delegate_email or "").strip().lower()
    delegate = (
        User.objects.filter(
            is_active=True, emailaddress__email__iexact=email, emailaddress__verified=True
        ).first()
        if email
        else None
    )
    if delegate is None:
        errors["delegate_email"] = _(
            "There is no account with this confirmed e-mail address. Ask the person to register and "
            "confirm their e-mail first."
        )
    elif delegate.pk == principal.pk:
        errors["delegate_email"] = _("You cannot delegate to yourself.")
    elif (
        "scope" not in errors
        and principal.delegations_granted.active().filter(delegate=delegate, scope=scope).exists()
    ):
        errors["delegate_email"] = _("This person already has a delegation for this scope. Revoke it first.")
    if errors:
        raise ValidationError(errors)

    delegation = Delegation.objects.create(
        principal=principal, delegate=delegate, scope=scope, valid_until=valid_until
    )
    audit_record(
        action="delegation_granted",
        actor=actor,
        target=delegation,
        to_state="active",
        changes={"delegate": delegate.email, "scope": scope, "valid_until": valid_until.isoformat()},
    )
    _notify_on_commit(
        recipient=delegate,
        event="delegation_granted",
        context=_delegation_context(delegation),
        url=reverse("accounts:delegations"),
        channels=("in_app", "email"),
    )
    return delegation


def _delegation_context(delegation: Delegation) -> dict[str, str]:
    return {
        "principal": str(delegation.principal),
        "principal_email": delegation.principal.email,
        "delegate": str(delegation.delegate),
        "scope": delegation.scope,
        "valid_until": delegation.valid_until.isoformat(),
    }


@transaction.atomic
def delegation_revoke(*, actor: Actor, delegation: Delegation) -> None:
    """End a delegation at once: the delegate's next request is back on their own account."""
    if actor.is_delegate or delegation.principal_id != actor.user.pk:
        raise PermissionDenied(_("Only the account that granted this delegation can revoke it."))
    delegation = (
        Delegation.objects.select_for_update().select_related("principal", "delegate").get(pk=delegation.pk)
    )
    if delegation.revoked_at is not None:
        raise ValidationError(_("This delegation has already been revoked."))
    was_active = delegation.is_active()
    delegation.revoked_at = timezone.now()
    delegation.save(update_fields=["revoked_at"])
    audit_record(
        action="delegation_revoked",
        actor=actor,
        target=delegation,
        from_state="active" if was_active else "expired",
        to_state="revoked",
        changes={"delegate": delegation.delegate.email, "scope": delegation.scope},
    )
    if was_active:
        _notify_on_commit(
            recipient=delegation.delegate,
            event="delegation_revoked",
            context=_delegation_context(delegation),
            url=reverse("accounts:delegations"),
            channels=("in_app", "email"),
        )


@transaction.atomic
def delegation_act_as(*, actor: Actor, delegation: Delegation | None) -> Delegation | None:
    """Start acting under a delegation received (or, with None, go back to the own account).

    The caller keeps the choice in the session; ActingForMiddleware checks it again on every request.
    """
    if delegation is None:
        if actor.delegation is not None:
            audit_record(action="delegation_acting_stopped", actor=actor, target=actor.delegation)
        return None
    if delegation.delegate_id != actor.user.pk or not delegation.is_active():
        raise PermissionDenied(_("This delegation is not yours or is no longer valid."))
    if delegation.principal.requires_second_factor and not has_totp(actor.user):
        raise PermissionDenied(
            _("Set up a second factor (an authenticator app) before acting for an office or the ministry.")
        )
    acting = Actor(
        user=actor.user,
        principal=delegation.principal,
        delegation=delegation,
        ip_address=actor.ip_address,
        user_agent=actor.user_agent,
    )
    audit_record(action="delegation_acting_started", actor=acting, target=delegation)
    return delegation


def has_totp(user: User) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


# --- sessions, compromised accounts ------------------------------------------------------------


def end_sessions(user: User, *, keep_session_key: str | None = None) -> int:
    """End the person's sessions (each also deletes Django's session), except the one to keep."""
    from allauth.usersessions.models import UserSession

    ended = 0
    for session in UserSession.objects.filter(user=user).exclude(session_key=keep_session_key or ""):
        session.end()
        ended += 1
    return ended


@transaction.atomic
def account_end_other_sessions(*, actor: Actor, keep_session_key: str) -> int:
    """Sign the person out on every other device; returns how many sessions were ended."""
    ended = end_sessions(actor.user, keep_session_key=keep_session_key)
    audit_record(
        action="other_sessions_ended", actor=_own_account(actor), target=actor.user, changes={"ended": ended}
    )
    return ended


@transaction.atomic
def account_report_compromised(*, actor: Actor, reason: str) -> None:
    """Lock the account now, sign it out everywhere, revoke its delegations and alert the ministry."""
    user = User.objects.select_for_update().get(pk=actor.user.pk)
    if user.locked_at is not None:
        return
    now = timezone.now()
    reason = (reason or "").strip()[:200]
    user.is_active = False
    user.locked_at = now
    user.lock_reason = reason
    user.save(update_fields=["is_active", "locked_at", "lock_reason"])

    sessions_ended = end_sessions(user)
    open_delegations = list(
        Delegation.objects.select_for_update()
        .filter(Q(principal=user) | Q(delegate=user), revoked_at__isnull=True)
        .select_related("principal", "delegate")
    )
    Delegation.objects.filter(pk__in=[d.pk for d in open_delegations]).update(revoked_at=now)

    audit_record(
        action="account_reported_compromised",
        actor=_own_account(actor),
        target=user,
        from_state="active",
        to_state="locked",
        changes={
            "reason": reason,
            "sessions_ended": sessions_ended,
            "delegations_revoked": [d.pk for d in open_delegations],
        },
    )

    context = {"user": str(user), "email": user.email, "reason": reason, "locked_at": now.isoformat()}
    alerts_url = reverse("ministry:security_alerts")
    for supervisor in User.objects.filter(groups__name=Role.SUPERVISORS, is_active=True).exclude(pk=user.pk):
        _notify_on_commit(
            recipient=supervisor,
            event="security_alert",
            context=context,
            url=alerts_url,
            channels=("in_app", "email"),
        )
    _notify_on_commit(recipient=user, event="account_locked", context=context, channels=("email",))
    for delegation in open_delegations:
        if delegation.principal_id == user.pk and delegation.valid_until >= timezone.localdate():
            _notify_on_commit(
                recipient=delegation.delegate,
                event="delegation_revoked",
                context=_delegation_context(delegation),
                url=reverse("accounts:delegations"),
                channels=("in_app", "email"),
            )


@transaction.atomic
def account_unlock(*, actor: Actor, user: User, identity_check: str = "") -> None:
    """Reopen a locked account after the ministry checked who the person is.

    The old password may be known to whoever took the account, so it is discarded and the person
    gets an e-mail to choose a new one; the sign-in lock-out for the address is cleared too.
    """
    if actor.is_delegate or not actor.user.has_perm("accounts.unlock_account"):
        raise PermissionDenied(_("You are not allowed to unlock accounts."))
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == actor.user.pk:
        raise PermissionDenied(_("Another supervisor must unlock your own account."))
    if user.locked_at is None:
        raise ValidationError(_("This account is not locked."))
    locked_since = user.locked_at
    user.is_active = True
    user.locked_at = None
    user.lock_reason = ""
    user.set_unusable_password()
    user.save(update_fields=["is_active", "locked_at", "lock_reason", "password"])

    from axes.utils import reset as axes_reset

    axes_reset(username=user.email)
    audit_record(
        action="account_unlocked",
        actor=actor,
        target=user,
        from_state="locked",
        to_state="active",
        changes={"identity_check": identity_check.strip()[:500], "locked_since": locked_since.isoformat()},
    )

    def send_reset() -> None:
        from .emails import send_password_link

        send_password_link(User.objects.get(pk=user.pk), template_prefix="accounts/email/unlocked")

    transaction.on_commit(send_reset)
