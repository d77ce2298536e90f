"""Writes about offices: the ministry registers, checks and sanctions them; their people manage staff,
the price list and the workers' CVs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import filetype
from allauth.account.models import EmailAddress
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.forms.models import model_to_dict
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from PIL import Image

from musaned.accounts.actor import Actor
from musaned.accounts.models import Delegation, DelegationScope, User
from musaned.accounts.roles import Role
from musaned.accounts.services import audit_record, end_sessions, model_changes
from musaned.integrations.interfaces import CrStatus
from musaned.policy.models import Country, Occupation
from musaned.policy.money import format_amount
from musaned.policy.services import rules_in_force

from .models import (
    OPEN_REQUEST_STATES,
    Complaint,
    Contract,
    Office,
    OfficeMembership,
    OfficeRole,
    PriceListEntry,
    Sanction,
    SanctionKind,
    WorkerCV,
)


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
    new_number = before.get("cr_number") != office.cr_number
    if new_number:  # what the registry said was about the old number: ask again before taking requests
        office.cr_valid_until = office.cr_checked_at = None
    office.save()
    audit_record(
        action="office_changed" if before else "office_registered",
        actor=actor,
        target=office,
        changes=model_changes(before, _facts(office)),
    )
    if new_number:
        _check_registration_on_commit(office)
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
    may_invite = (
        actor.user.has_perm("recruitment.add_officemembership")
        or actor.user.has_perm("recruitment.license_offices")
        or (role == OfficeRole.STAFF and _managed_office(actor).pk == office.pk)
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


# --- Registration by the ministry, and the commerce registry's word on it ---------------------------

OFFICE_FIELDS = (
    "name_ar",
    "name_en",
    "cr_number",
    "licence_number",
    "licence_valid_until",
    "bank_guarantee_amount",
    "city",
    "phone",
    "email",
)


def _require_licensing(actor: Actor) -> None:
    """Licensing is the ministry's own act: a licensing officer or supervisor, never a delegate."""
    if actor.is_delegate or not actor.user.has_perm("recruitment.license_offices"):
        raise PermissionDenied(_("Only the ministry's office licensing team can do this."))


def _check_registration_on_commit(office: Office) -> None:
    office_id = office.pk

    def enqueue() -> None:
        from .offices_tasks import office_check_commercial_registration

        office_check_commercial_registration.delay(office_id=office_id)

    transaction.on_commit(enqueue)


@transaction.atomic
def office_register(
    *,
    actor: Actor,
    data: Mapping[str, Any],
    manager_email: str,
    manager_first_name: str,
    manager_last_name: str,
) -> Office:
    """License a new office and invite its first manager; the commerce registry is asked about its CR.

    Until the registry confirms the registration the office takes no requests.
    """
    _require_licensing(actor)
    office = Office(**{field: data.get(field) for field in OFFICE_FIELDS}, active=True)
    office.full_clean()
    office.save()
    audit_record(
        action="office_registered", actor=actor, target=office, changes=model_changes({}, _facts(office))
    )
    try:
        office_member_invite(
            actor=actor,
            office=office,
            email=manager_email,
            first_name=manager_first_name,
            last_name=manager_last_name,
            role=OfficeRole.MANAGER,
        )
    except ValidationError as error:
        if hasattr(error, "error_dict") and "email" in error.error_dict:
            raise ValidationError({"manager_email": error.error_dict["email"]}) from None
        raise
    _check_registration_on_commit(office)
    return office


def _registration_valid(office: Office, on: dt.date) -> bool:
    return office.cr_valid_until is not None and office.cr_valid_until >= on


@transaction.atomic
def office_record_registration(
    *, office_id: int, status: CrStatus, checked_at: dt.datetime | None = None
) -> Office:
    """Keep what the commerce registry said about the office's CR; the office's managers hear of a lapse.

    The audit trail gets an entry only when the validity changes: the daily check of every office would
    otherwise bury the changes that matter.
    """
    office = Office.objects.select_for_update().get(pk=office_id)
    if office.cr_number != status.cr_number:
        return office  # the number was corrected meanwhile; a check of the new one is on its way
    checked_at = checked_at or timezone.now()
    today = timezone.localdate(checked_at)
    was_valid = _registration_valid(office, today)
    before = office.cr_valid_until
    office.cr_valid_until = status.valid_until if status.found else None
    office.cr_checked_at = checked_at
    office.save(update_fields=["cr_valid_until", "cr_checked_at"])
    if before != office.cr_valid_until:
        audit_record(
            action="office_registration_checked",
            actor=None,
            target=office,
            changes=model_changes({"cr_valid_until": before}, {"cr_valid_until": office.cr_valid_until}),
        )
    if was_valid and not _registration_valid(office, today):
        _notify_managers(office, event="office_registration_lapsed", context={"office": office})
    return office


def office_accepts_requests(office: Office, on: dt.date | None = None) -> tuple[bool, str]:
    """Whether `office` may take a new request on `on` (today by default), and if not, why.

    An office takes no new request when it is inactive, its licence or commercial registration has
    expired, the commerce registry does not know (or has not yet confirmed) its registration, or a
    suspension is in force. Offices loaded through `selectors.with_current_sanctions` answer without a
    query.
    """
    on = on or timezone.localdate()
    if not office.active:
        return False, _("This office is no longer active.")
    if office.licence_valid_until < on:
        return False, _("The office's licence expired on %(date)s.") % {
            "date": formats.date_format(office.licence_valid_until)
        }
    if office.cr_valid_until is None:
        if office.cr_checked_at is None:
            return False, _("The office's commercial registration has not been confirmed yet.")
        return False, _("The commerce registry does not know the office's commercial registration.")
    if office.cr_valid_until < on:
        return False, _("The office's commercial registration expired on %(date)s.") % {
            "date": formats.date_format(office.cr_valid_until)
        }
    suspension = _suspension_in_force(office, on)
    if suspension is not None:
        if suspension.ends_on is None:
            return False, _("The ministry has suspended this office.")
        return False, _("The ministry has suspended this office until %(date)s.") % {
            "date": formats.date_format(suspension.ends_on)
        }
    return True, ""


def sanctions_in_force(on: dt.date):
    """Sanctions that apply on `on`: started, not yet ended and not lifted."""
    return Sanction.objects.filter(lifted_at__isnull=True, starts_on__lte=on).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=on)
    )


def _suspension_in_force(office: Office, on: dt.date) -> Sanction | None:
    loaded = getattr(office, "current_sanctions", None)
    if loaded is None:
        loaded = list(sanctions_in_force(on).filter(office=office))
    suspensions = [
        sanction
        for sanction in loaded
        if sanction.kind == SanctionKind.SUSPENSION
        and sanction.starts_on <= on
        and (sanction.ends_on is None or sanction.ends_on >= on)
    ]
    # the one lasting longest is the one that matters to a household
    return max(suspensions, key=lambda s: s.ends_on or dt.date.max, default=None)


# --- Sanctions -------------------------------------------------------------------------------------


def _notify_managers(office: Office, *, event: str, context: dict[str, Any]) -> None:
    office_id = office.pk

    def send() -> None:
        from musaned.notifications.services import notify

        managers = User.objects.filter(
            office_membership__office_id=office_id,
            office_membership__role=OfficeRole.MANAGER,
            is_active=True,
        )
        for manager in managers:
            notify(recipient=manager, event=event, context=context, url=reverse("recruitment:office_home"))

    transaction.on_commit(send)


@transaction.atomic
def sanction_apply(
    *,
    actor: Actor,
    office: Office,
    kind: str,
    reason: str,
    complaint: Complaint | None = None,
    until: dt.date | None = None,
) -> Sanction:
    """Warn or suspend an office from today (until `until`, or until reinstated when None).

    Licensing officers sanction on their own findings, the complaints group on a complaint's decision;
    the sanction shows on the office's public profile, and a suspension stops new requests.
    """
    user = actor.user
    if actor.is_delegate or not (
        user.has_perm("recruitment.license_offices") or user.has_perm("recruitment.decide_complaints")
    ):
        raise PermissionDenied(_("Only the ministry can sanction an office."))
    today = timezone.localdate()
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if kind not in SanctionKind.values:
        errors["kind"] = _("Choose a warning or a suspension.")
    if not reason:
        errors["reason"] = _("Say why: the office and the public read it.")
    if until is not None and until < today:
        errors["until"] = _("The end date cannot be in the past.")
    if complaint is not None and complaint.office_id != office.pk:
        errors["complaint"] = _("This complaint is about another office.")
    if errors:
        raise ValidationError(errors)
    office = Office.objects.select_for_update().get(pk=office.pk)
    sanction = Sanction.objects.create(
        office=office,
        kind=kind,
        reason=reason,
        complaint=complaint,
        starts_on=today,
        ends_on=until,
        decided_by=user,
    )
    audit_record(
        action="office_sanctioned",
        actor=actor,
        target=office,
        to_state=kind,
        changes={
            "sanction": sanction.pk,
            "kind": kind,
            "reason": reason,
            "until": until.isoformat() if until else None,
            "complaint": complaint.pk if complaint else None,
        },
    )
    _notify_managers(
        office,
        event="office_sanctioned",
        context={"office": office, "kind": SanctionKind(kind).label, "reason": reason, "until": until},
    )
    return sanction


@transaction.atomic
def office_suspend(*, actor: Actor, office: Office, reason: str, until: dt.date | None = None) -> Sanction:
    """The licensing team suspends an office: it takes no new requests while the suspension lasts."""
    _require_licensing(actor)
    office = Office.objects.select_for_update().get(pk=office.pk)
    if _suspension_in_force(office, timezone.localdate()) is not None:
        raise ValidationError(_("This office is already suspended. Reinstate it first to change the terms."))
    return sanction_apply(
        actor=actor, office=office, kind=SanctionKind.SUSPENSION, reason=reason, until=until
    )


@transaction.atomic
def office_reinstate(*, actor: Actor, office: Office, reason: str) -> list[Sanction]:
    """Lift every suspension in force; the office takes requests again (if its papers are valid)."""
    _require_licensing(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the office is reinstated.")})
    office = Office.objects.select_for_update().get(pk=office.pk)
    now = timezone.now()
    lifted = list(
        sanctions_in_force(timezone.localdate(now)).filter(office=office, kind=SanctionKind.SUSPENSION)
    )
    if not lifted:
        raise ValidationError(_("This office is not suspended."))
    for sanction in lifted:
        sanction.lifted_at, sanction.lifted_by, sanction.lift_reason = now, actor.user, reason
        sanction.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    audit_record(
        action="office_reinstated",
        actor=actor,
        target=office,
        from_state=SanctionKind.SUSPENSION,
        changes={"sanctions": [sanction.pk for sanction in lifted], "reason": reason},
    )
    _notify_managers(office, event="office_reinstated", context={"office": office, "reason": reason})
    return lifted


# --- The office's own offer: price list and worker CVs ----------------------------------------------


def _require_office_worker(actor: Actor, office: Office) -> None:
    """The office's manager and staff (or their delegates for recruitment work) keep its offer."""
    actor.require_scope(DelegationScope.RECRUITMENT)
    principal = actor.principal
    works_here = OfficeMembership.objects.filter(user=principal, office=office).exists()
    if not works_here or not principal.has_perm("recruitment.work_requests"):
        raise PermissionDenied(_("Only the people of this office can change its price list and CVs."))
    if not office.active:
        raise PermissionDenied(_("This office is no longer active."))


def _price_facts(entry: PriceListEntry) -> dict[str, Any]:
    return {
        "nationality": entry.nationality.code,
        "occupation": entry.occupation.code,
        "price": f"{Decimal(entry.price):.2f}",
        "delivery_days": entry.delivery_days,
    }


@transaction.atomic
def price_set(
    *,
    actor: Actor,
    office: Office,
    nationality: Country,
    occupation: Occupation,
    price: Decimal,
    delivery_days: int,
) -> PriceListEntry:
    """Set what the office charges for one nationality and occupation, within the rules in force.

    The price may not exceed the country's ceiling, and the office may promise to deliver faster than
    the rules require, never slower.
    """
    _require_office_worker(actor, office)
    rule_set = rules_in_force(on=timezone.localdate())
    country_rule = rule_set.rule_for_country(nationality)
    errors: dict[str, str] = {}
    if not nationality.active:
        errors["nationality"] = _("Recruitment from %(country)s is closed.") % {"country": nationality}
    if not occupation.active:
        errors["occupation"] = _("This occupation is no longer open for recruitment.")
    ceiling = country_rule.price_ceiling if country_rule else None
    if ceiling is not None and price is not None and price > ceiling:
        errors["price"] = _(
            "The price ceiling for workers from %(country)s is %(ceiling)s SAR excl. VAT: "
            "the price cannot be higher."
        ) % {"country": nationality, "ceiling": format_amount(ceiling)}
    longest = (country_rule.delivery_days if country_rule else None) or rule_set.delivery_days
    if delivery_days is not None and delivery_days > longest:
        errors["delivery_days"] = _(
            "Workers from %(country)s must be delivered within %(days)s days: promise that or less."
        ) % {"country": nationality, "days": longest}
    if errors:
        raise ValidationError(errors)
    entry = (
        PriceListEntry.objects.select_for_update()
        .filter(office=office, nationality=nationality, occupation=occupation)
        .first()
    )
    before = _price_facts(entry) if entry else {}
    entry = entry or PriceListEntry(office=office, nationality=nationality, occupation=occupation)
    entry.price, entry.delivery_days = price, delivery_days
    entry.full_clean(validate_constraints=False)
    entry.save()
    audit_record(
        action="office_price_set",
        actor=actor,
        target=office,
        changes=model_changes(before, _price_facts(entry)),
    )
    return entry


@transaction.atomic
def price_remove(*, actor: Actor, entry: PriceListEntry) -> None:
    """Stop offering one nationality and occupation; requests already made keep their price."""
    _require_office_worker(actor, entry.office)
    facts = _price_facts(entry)
    entry.delete()
    audit_record(
        action="office_price_removed",
        actor=actor,
        target=entry.office,
        changes={key: [value, None] for key, value in facts.items()},
    )


CV_FIELDS = (
    "name",
    "nationality",
    "occupation",
    "gender",
    "date_of_birth",
    "religion",
    "marital_status",
    "languages",
    "experience_years",
    "skills",
    "passport_number",
    "passport_expiry",
    "monthly_salary",
    "phone",
    "language",
)
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})


def _cv_facts(cv: WorkerCV) -> dict[str, Any]:
    facts = {field: getattr(cv, field) for field in CV_FIELDS if field not in ("nationality", "occupation")}
    facts |= {
        "nationality": cv.nationality.code if cv.nationality_id else None,
        "occupation": cv.occupation.code if cv.occupation_id else None,
        "available": cv.available,
        "photo": bool(cv.photo),
    }
    if cv.monthly_salary is not None:
        facts["monthly_salary"] = f"{Decimal(cv.monthly_salary):.2f}"
    return facts


def _photo_error(photo: UploadedFile) -> str | None:
    """A photo is a real JPEG or PNG picture (read from its bytes) within the upload limit."""
    if photo.size > settings.UPLOAD_MAX_BYTES:
        return _("The photo is too large: the limit is %(limit)s.") % {
            "limit": filesizeformat(settings.UPLOAD_MAX_BYTES)
        }
    photo.seek(0)
    kind = filetype.guess(photo.read(261))
    photo.seek(0)
    if kind is None or kind.mime not in PHOTO_TYPES:
        return _("Upload the photo as a JPEG or PNG picture.")
    try:
        with Image.open(photo) as picture:
            picture.verify()
    except Exception:
        return _("This picture is damaged and cannot be shown. Upload another one.")
    finally:
        photo.seek(0)
    return None


def _cv_errors(cv: WorkerCV, *, on: dt.date) -> dict[str, str]:
    """The rules a CV must meet on `on`: a passport outlasting the contract and at least the minimum wage."""
    rule_set = rules_in_force(on=on)
    errors: dict[str, str] = {}
    contract_end = on + relativedelta(months=rule_set.contract_months)
    if cv.passport_expiry is not None and cv.passport_expiry <= contract_end:
        errors["passport_expiry"] = _(
            "The passport must stay valid after the %(months)s-month contract: a contract starting today "
            "ends on %(date)s, so the passport must be valid after that day."
        ) % {"months": rule_set.contract_months, "date": formats.date_format(contract_end)}
    if cv.date_of_birth is not None and cv.date_of_birth >= on:
        errors["date_of_birth"] = _("The date of birth must be in the past.")
    if cv.nationality_id:
        if not cv.nationality.active:
            errors["nationality"] = _("Recruitment from %(country)s is closed.") % {"country": cv.nationality}
        country_rule = rule_set.rule_for_country(cv.nationality)
        wage = country_rule.min_monthly_wage if country_rule else None
        if wage is not None and cv.monthly_salary is not None and cv.monthly_salary < wage:
            errors["monthly_salary"] = _(
                "The minimum monthly wage for workers from %(country)s is %(wage)s SAR."
            ) % {"country": cv.nationality, "wage": format_amount(wage)}
    if cv.occupation_id and not cv.occupation.active:
        errors["occupation"] = _("This occupation is no longer open for recruitment.")
    duplicate = WorkerCV.objects.filter(office_id=cv.office_id, passport_number=cv.passport_number)
    if cv.passport_number and duplicate.exclude(pk=cv.pk).exists():
        errors["passport_number"] = _("Your office already has a CV with this passport number.")
    return errors


def _validate_and_save_cv(cv: WorkerCV, photo: UploadedFile | None) -> None:
    errors: dict[str, list[str]] = {
        field: [message] for field, message in _cv_errors(cv, on=timezone.localdate()).items()
    }
    if photo is not None and (problem := _photo_error(photo)):
        errors.setdefault("photo", []).append(problem)
    try:
        cv.full_clean(exclude=["photo", *errors], validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if photo is not None:
        cv.photo = photo
    cv.save()


def _apply_cv_data(cv: WorkerCV, data: Mapping[str, Any]) -> None:
    for field in CV_FIELDS:
        if field in data:
            setattr(cv, field, data[field])
    cv.passport_number = (cv.passport_number or "").strip().upper()
    if not cv.language and cv.nationality_id:
        cv.language = cv.nationality.worker_language


def cv_in_use(cv: WorkerCV) -> bool:
    """The worker has a contract on a case still going: the CV is part of it and stays as it is."""
    return Contract.objects.filter(
        cv=cv, worker_declined_at__isnull=True, request__state__in=OPEN_REQUEST_STATES
    ).exists()


@transaction.atomic
def cv_publish(
    *, actor: Actor, office: Office, data: Mapping[str, Any], photo: UploadedFile | None = None
) -> WorkerCV:
    """Publish a worker's CV for households to find; the contract language defaults to her country's."""
    _require_office_worker(actor, office)
    cv = WorkerCV(office=office, language="")
    _apply_cv_data(cv, data)
    _validate_and_save_cv(cv, photo)
    audit_record(
        action="office_cv_published", actor=actor, target=cv, changes=model_changes({}, _cv_facts(cv))
    )
    return cv


@transaction.atomic
def cv_update(
    *, actor: Actor, cv: WorkerCV, data: Mapping[str, Any], photo: UploadedFile | None = None
) -> WorkerCV:
    """Correct a CV (under the same rules as publishing) unless the worker is already under contract."""
    cv = (
        WorkerCV.objects.select_for_update()
        .select_related("office", "nationality", "occupation")
        .get(pk=cv.pk)
    )
    _require_office_worker(actor, cv.office)
    if cv_in_use(cv):
        raise ValidationError(_("This worker has a contract in progress, so the CV can no longer change."))
    before = _cv_facts(cv)
    _apply_cv_data(cv, data)
    _validate_and_save_cv(cv, photo)
    audit_record(
        action="office_cv_updated", actor=actor, target=cv, changes=model_changes(before, _cv_facts(cv))
    )
    return cv


@transaction.atomic
def cv_withdraw(*, actor: Actor, cv: WorkerCV) -> WorkerCV:
    """Take a CV out of the search and of new offers (the worker took other work, say)."""
    cv = WorkerCV.objects.select_for_update().select_related("office").get(pk=cv.pk)
    _require_office_worker(actor, cv.office)
    if cv_in_use(cv):
        raise ValidationError(_("This worker has a contract in progress, so the CV cannot be withdrawn."))
    if not cv.available:
        return cv
    cv.available = False
    cv.save(update_fields=["available"])
    audit_record(
        action="office_cv_withdrawn", actor=actor, target=cv, from_state="available", to_state="withdrawn"
    )
    return cv
