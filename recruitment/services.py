"""Writes about offices: the ministry registers them, managers add and remove their staff."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.forms.models import model_to_dict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from musaned.accounts.actor import Actor
from musaned.accounts.models import Delegation, User
from musaned.accounts.roles import Role
from musaned.accounts.services import audit_record, end_sessions, model_changes

from .models import Office, OfficeMembership, OfficeRole


def _managed_office(actor: Actor) -> Office:
    """The office the actor manages; staff management is never delegated."""
    membership = OfficeMembership.objects.select_related("office").filter(user=actor.user).first()
    if (
        actor.is_delegate
        or membership is None
        or not membership.is_manager
        or not actor.user.has_role(Role.OFFICE_MANAGER)
    ):
        raise PermissionDenied(_("Only the office's manager can manage its staff."))
    return membership.office


@transaction.atomic
def office_save(*, actor: Actor, office: Office) -> Office:
    """Register an office or correct its facts (the ministry's job, through the admin site)."""
    before = {}
    if office.pk is not None:
        stored = Office.objects.filter(pk=office.pk).first()
        before = _facts(stored) if stored is not None else {}
    if not actor.user.has_perm(f"recruitment.{'change' if before else 'add'}_office"):
        raise PermissionDenied(_("You are not allowed to register or change recruitment offices."))
    office.full_clean()
    office.save()
    audit_record(
        action="office_changed" if before else "office_registered",
        actor=actor,
        target=office,
        changes=model_changes(before, _facts(office)),
    )
    return office


def _facts(office: Office) -> dict:
    return model_to_dict(office, exclude=["id"])


@transaction.atomic
def office_member_invite(
    *, actor: Actor, office: Office, email: str, first_name: str, last_name: str, role: str
) -> OfficeMembership:
    """Create an account for someone who works for `office` and e-mail them a link to choose a password.

    The office's manager adds staff; adding a manager (a new office's first, say) needs the ministry's
    permission. The address counts as confirmed: the account has no password until the person follows
    the link sent to it.
    """
    if role not in OfficeRole.values:
        raise ValidationError({"role": _("Choose manager or staff.")})
    may_invite = actor.user.has_perm("recruitment.add_officemembership") or (
        role == OfficeRole.STAFF and _managed_office(actor).pk == office.pk
    )
    if actor.is_delegate or not may_invite:
        raise PermissionDenied(_("Only the office's manager can add its staff."))
    if not office.active:
        raise PermissionDenied(_("This office is not active, so it cannot add people."))
    email = (email or "").strip().lower()
    if (
        User.objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    ):
        raise ValidationError(
            {"email": _("This e-mail address already has an account. Use another address for office work.")}
        )
    user = User.objects.create_user(
        email,
        password=None,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        preferred_language=translation.get_language() or "ar",
    )
    group = Role.OFFICE_MANAGER if role == OfficeRole.MANAGER else Role.OFFICE_STAFF
    user.groups.add(Group.objects.get(name=group))
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    membership = OfficeMembership.objects.create(office=office, user=user, role=role)
    audit_record(
        action="office_member_added",
        actor=actor,
        target=office,
        changes={"email": email, "role": role},
    )

    def invite() -> None:
        from musaned.accounts.emails import send_password_link

        send_password_link(
            User.objects.get(pk=user.pk),
            template_prefix="recruitment/email/staff_invite",
            context={"office": office, "inviter": str(actor.user)},
        )

    transaction.on_commit(invite)
    return membership


def office_staff_add(*, actor: Actor, email: str, first_name: str, last_name: str) -> OfficeMembership:
    """The manager adds a staff member to their own office."""
    return office_member_invite(
        actor=actor,
        office=_managed_office(actor),
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=OfficeRole.STAFF,
    )


@transaction.atomic
def office_staff_remove(*, actor: Actor, membership: OfficeMembership) -> None:
    """Take a staff member out of the office: the account is closed, signed out and loses its delegations."""
    office = _managed_office(actor)
    membership = OfficeMembership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if membership.office_id != office.pk:
        raise PermissionDenied(_("This person does not work for your office."))
    if membership.is_manager or membership.user_id == actor.user.pk:
        raise ValidationError(_("A manager cannot be removed here. Contact the ministry's licensing team."))
    user = membership.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    user.groups.remove(Group.objects.get(name=Role.OFFICE_STAFF))
    end_sessions(user)
    Delegation.objects.filter(Q(principal=user) | Q(delegate=user), revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    membership.delete()
    audit_record(
        action="office_staff_removed",
        actor=actor,
        target=office,
        changes={"email": user.email, "role": OfficeRole.STAFF},
    )
