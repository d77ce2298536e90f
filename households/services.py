"""Every write on a household's file: registration, mobile codes, identity, family, income and workers.

Each function checks who may act, changes the data in one transaction, leaves an audit event on the
household (so its history page is one indexed query) and schedules outside effects after commit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from musaned.accounts.actor import Actor
from musaned.accounts.models import DelegationScope
from musaned.accounts.services import audit_record, model_changes
from musaned.integrations.interfaces import IdentityRecord, TravelStatus
from musaned.notifications.services import notify
from musaned.policy.models import Residency
from musaned.policy.services import rules_in_force

from . import otp
from .models import (
    EmployedWorker,
    EmploymentFlag,
    FlagKind,
    FlagState,
    Household,
    HouseholdMember,
    IdentityStatus,
    IncomeProof,
    PhoneVerification,
    ProofKind,
)
from .uploads import ALLOWED_TYPES, detect_type, sha256_of
from .validators import normalize_saudi_mobile

# Stored untranslated (the English text is the message id) and translated when shown or sent,
# so each person reads the reason in their own language.
IDENTITY_NOT_FOUND = gettext_noop(
    "The identity service has no record of this national ID or iqama number. "
    "Please check the number in your profile."
)
IDENTITY_DOB_MISMATCH = gettext_noop(
    "The date of birth does not match the identity service's record. Please check it in your profile."
)

DUPLICATE_ID = gettext_lazy(
    "An account is already registered with this national ID or iqama number. "
    "Each person may have one account: sign in to that account, or contact the ministry "
    "if you did not create it."
)

PROFILE_FIELDS = (
    "national_id",
    "residency",
    "nationality",
    "name_ar",
    "name_en",
    "date_of_birth",
    "marital_status",
    "has_registered_disability",
    "mobile",
    "city",
    "building_number",
    "street",
    "district",
    "address_city",
    "postal_code",
    "additional_number",
)
EDITABLE_PROFILE_FIELDS = (
    "nationality",
    "name_ar",
    "name_en",
    "date_of_birth",
    "marital_status",
    "city",
    "building_number",
    "street",
    "district",
    "address_city",
    "postal_code",
    "additional_number",
)
FINANCE_FIELDS = ("monthly_income", "bank_balance")
MEMBER_FIELDS = ("name", "relation", "date_of_birth", "national_id", "has_special_needs")
WORKER_FIELDS = (
    "name",
    "nationality",
    "occupation",
    "iqama_number",
    "passport_number",
    "employed_since",
    "ended_on",
)
PROOF_FIELDS = ("kind", "issued_on", "original_name", "content_type", "size", "sha256")


def residency_for(national_id: str) -> str:
    """The first digit says it: 1 for a citizen's national ID, 2 for a resident's iqama."""
    return Residency.CITIZEN if national_id.startswith("1") else Residency.RESIDENT


def snapshot(obj: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    """Field values for the audit trail; relations by key, so names follow the reader's language."""
    return {name: getattr(obj, obj._meta.get_field(name).attname) for name in fields}


def _removed(before: dict[str, Any]) -> dict[str, list[Any]]:
    return model_changes(before, dict.fromkeys(before))


def _require_owner(actor: Actor, household: Household) -> None:
    actor.require_scope(DelegationScope.PROFILE)
    if household.user_id != actor.principal.pk:
        raise PermissionDenied(_("This household file belongs to another account."))


def _locked(household: Household) -> Household:
    return Household.objects.select_for_update().get(pk=household.pk)


def _require_free_national_id(national_id: str, *, exclude_pk: int | None = None) -> None:
    taken = Household.objects.filter(national_id=national_id).exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"national_id": DUPLICATE_ID})


def _apply_residency(household: Household) -> None:
    household.residency = residency_for(household.national_id)
    if household.residency == Residency.CITIZEN:
        household.nationality = None
    elif household.nationality_id is None:
        raise ValidationError({"nationality": _("Residents must choose their nationality.")})


def _save_checked(household: Household) -> None:
    """Model validation, then save; a national ID taken at the same moment gives the same clear message."""
    household.full_clean(exclude=["user", "identity_status"], validate_unique=False)
    try:
        with transaction.atomic():
            household.save()
    except IntegrityError as exc:
        raise ValidationError({"national_id": DUPLICATE_ID}) from exc


def _enqueue_identity_check(household: Household) -> None:
    from .tasks import confirm_identity

    household_id = household.pk
    transaction.on_commit(lambda: confirm_identity.delay(household_id))


# Registration and profile -------------------------------------------------------------------------


@transaction.atomic
def household_register(*, actor: Actor, data: Mapping[str, Any]) -> Household:
    """Create the household's file in one go; identity is then checked in the background."""
    actor.require_scope(DelegationScope.PROFILE)
    owner = actor.principal
    if not owner.has_perm("households.manage_own_household"):
        raise PermissionDenied(_("Only a household account can register a household."))
    if Household.objects.filter(user=owner).exists():
        raise ValidationError(_("This account already has a registered household."))
    national_id = data["national_id"]
    _require_free_national_id(national_id)
    household = Household(
        user=owner,
        national_id=national_id,
        nationality=data.get("nationality"),
        mobile=normalize_saudi_mobile(data["mobile"]),
        has_registered_disability=bool(data.get("has_registered_disability")),
        **{name: data[name] for name in EDITABLE_PROFILE_FIELDS if name != "nationality"},
    )
    _apply_residency(household)
    _save_checked(household)
    audit_record(
        action="household.registered",
        actor=actor,
        target=household,
        to_state=household.identity_status,
        changes=model_changes({}, snapshot(household, PROFILE_FIELDS)),
    )
    _issue_phone_code(actor=actor, household=household)
    _enqueue_identity_check(household)
    return household


@transaction.atomic
def household_update_profile(*, actor: Actor, household: Household, data: Mapping[str, Any]) -> Household:
    """Contact, address and personal facts; new identity facts send the file back to the identity service."""
    household = _locked(household)
    _require_owner(actor, household)
    before = snapshot(household, PROFILE_FIELDS)
    from_state = household.identity_status

    national_id = data.get("national_id") or household.national_id
    if national_id != household.national_id:
        if household.identity_confirmed:
            raise ValidationError(
                {"national_id": _("Your national ID has been confirmed and can no longer be changed.")}
            )
        _require_free_national_id(national_id, exclude_pk=household.pk)
        household.national_id = national_id
    for name in EDITABLE_PROFILE_FIELDS:
        if name in data:
            setattr(household, name, data[name])
    _apply_residency(household)
    mobile = normalize_saudi_mobile(data["mobile"]) if data.get("mobile") else household.mobile
    mobile_changed = mobile != household.mobile
    if mobile_changed:
        household.mobile = mobile
        household.mobile_verified_at = None

    identity_changed = (
        household.national_id != before["national_id"] or household.date_of_birth != before["date_of_birth"]
    )
    if identity_changed and household.identity_status != IdentityStatus.PENDING:
        household.reopen_identity()
    _save_checked(household)

    changes = model_changes(before, snapshot(household, PROFILE_FIELDS))
    if changes:
        audit_record(
            action="household.profile_updated",
            actor=actor,
            target=household,
            from_state=from_state,
            to_state=household.identity_status,
            changes=changes,
        )
    if mobile_changed and phone_code_wait_minutes(household=household) == 0:
        _issue_phone_code(actor=actor, household=household)
    if identity_changed:
        _enqueue_identity_check(household)
    return household


@transaction.atomic
def household_update_finances(
    *, actor: Actor, household: Household, monthly_income: Decimal | None, bank_balance: Decimal | None
) -> Household:
    household = _locked(household)
    _require_owner(actor, household)
    before = snapshot(household, FINANCE_FIELDS)
    for name, value in (("monthly_income", monthly_income), ("bank_balance", bank_balance)):
        if value is not None and value < 0:
            raise ValidationError({name: _("Enter an amount of zero or more.")})
    household.monthly_income = monthly_income
    household.bank_balance = bank_balance
    household.save(update_fields=["monthly_income", "bank_balance", "updated_at"])
    changes = model_changes(before, snapshot(household, FINANCE_FIELDS))
    if changes:
        audit_record(action="household.finances_updated", actor=actor, target=household, changes=changes)
    return household


# Mobile verification ------------------------------------------------------------------------------


def phone_code_wait_minutes(*, household: Household) -> int:
    """Minutes before another code may be sent (0: now); at most MAX_SENDS codes in each SEND_WINDOW."""
    now = timezone.now()
    recent = list(
        PhoneVerification.objects.filter(household=household, created_at__gt=now - otp.SEND_WINDOW)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: otp.MAX_SENDS]
    )
    if len(recent) < otp.MAX_SENDS:
        return 0
    free_at = recent[-1] + otp.SEND_WINDOW  # when the oldest of the last MAX_SENDS leaves the window
    return max(1, math.ceil((free_at - now).total_seconds() / 60))


def _issue_phone_code(*, actor: Actor, household: Household) -> PhoneVerification:
    code = otp.new_code()
    verification = PhoneVerification.objects.create(
        household=household,
        mobile=household.mobile,
        code_hash=otp.code_hash(code=code, mobile=household.mobile),
        expires_at=timezone.now() + otp.CODE_LIFETIME,
    )
    audit_record(
        action="household.phone_code_sent",
        actor=actor,
        target=household,
        changes={"mobile": [None, household.mobile]},
    )
    recipient, mobile, minutes = (
        household.user,
        household.mobile,
        int(otp.CODE_LIFETIME.total_seconds() // 60),
    )
    transaction.on_commit(
        lambda: notify(
            recipient=recipient,
            event="phone_code",
            context={"code": code, "minutes": minutes},
            sms_to=mobile,
            channels=("sms",),
        )
    )
    return verification


@transaction.atomic
def phone_code_send(*, actor: Actor, household: Household) -> PhoneVerification:
    """Send a new code to the household's mobile, within the resend limit."""
    household = _locked(household)
    _require_owner(actor, household)
    if household.mobile_verified_at is not None:
        raise ValidationError(_("Your mobile number is already verified."))
    wait = phone_code_wait_minutes(household=household)
    if wait:
        raise ValidationError(
            ngettext(
                "You have asked for several codes. Please wait %(minutes)d minute and try again.",
                "You have asked for several codes. Please wait %(minutes)d minutes and try again.",
                wait,
            )
            % {"minutes": wait}
        )
    return _issue_phone_code(actor=actor, household=household)


class PhoneCheck(models.TextChoices):
    """What happened to a code the household typed (the label is what the person reads)."""

    VERIFIED = "verified", gettext_lazy("Thank you: your mobile number is verified.")
    ALREADY = "already", gettext_lazy("Your mobile number is already verified.")
    WRONG = "wrong", gettext_lazy("That code is not right. Please check the SMS and try again.")
    EXPIRED = "expired", gettext_lazy("This code has expired. Ask for a new code.")
    TOO_MANY = "too_many", gettext_lazy("Too many wrong tries for this code. Ask for a new code.")
    NO_CODE = "no_code", gettext_lazy("There is no code waiting for this number. Ask for a new code.")


@transaction.atomic
def phone_code_check(*, actor: Actor, household: Household, code: str) -> PhoneCheck:
    """Check a typed code; a wrong try is counted (and kept), so the result is returned, not raised."""
    household = _locked(household)
    _require_owner(actor, household)
    if household.mobile_verified_at is not None:
        return PhoneCheck.ALREADY
    verification = (
        PhoneVerification.objects.select_for_update()
        .filter(household=household, mobile=household.mobile, verified_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    now = timezone.now()
    if verification is None:
        return PhoneCheck.NO_CODE
    if verification.attempts >= otp.MAX_WRONG_TRIES:
        return PhoneCheck.TOO_MANY
    if verification.expires_at <= now:
        return PhoneCheck.EXPIRED
    if not otp.code_matches(code=code, mobile=household.mobile, stored_hash=verification.code_hash):
        verification.attempts += 1
        verification.save(update_fields=["attempts"])
        return PhoneCheck.TOO_MANY if verification.attempts >= otp.MAX_WRONG_TRIES else PhoneCheck.WRONG
    verification.verified_at = now
    verification.save(update_fields=["verified_at"])
    household.mobile_verified_at = now
    household.save(update_fields=["mobile_verified_at", "updated_at"])
    audit_record(
        action="household.mobile_verified",
        actor=actor,
        target=household,
        changes={"mobile_verified_at": [None, str(now)]},
    )
    return PhoneCheck.VERIFIED


# Identity -----------------------------------------------------------------------------------------


@transaction.atomic
def identity_check_request(*, actor: Actor | None, household: Household) -> None:
    """Ask the identity service again (an officer's or a schedule's nudge); harmless if already confirmed."""
    if actor is not None and not actor.user.has_perm("households.view_any_household"):
        raise PermissionDenied(_("You may not ask for an identity check on this household."))
    household = _locked(household)
    if household.identity_status == IdentityStatus.PENDING:
        audit_record(action="household.identity_check_requested", actor=actor, target=household)
        _enqueue_identity_check(household)


@transaction.atomic
def identity_record_answer(
    *, household_id: int, national_id: str, date_of_birth: dt.date, record: IdentityRecord
) -> Household | None:
    """Apply the identity service's answer about the facts it was asked about; anything stale is ignored."""
    household = Household.objects.select_for_update().filter(pk=household_id).first()
    if household is None or household.identity_status != IdentityStatus.PENDING:
        return household
    if household.national_id != national_id or household.date_of_birth != date_of_birth:
        return household  # the facts changed meanwhile; the check queued by that change decides
    from_state = household.identity_status
    before = snapshot(household, ("has_registered_disability",))
    household.identity_checked_at = timezone.now()
    if record.found and record.date_of_birth_matches:
        household.confirm_identity()
        household.has_registered_disability = record.has_registered_disability
        event = "identity_confirmed"
    else:
        household.reject_identity(IDENTITY_NOT_FOUND if not record.found else IDENTITY_DOB_MISMATCH)
        event = "identity_rejected"
    household.save()
    changes = model_changes(before, snapshot(household, ("has_registered_disability",)))
    if household.identity_problem:
        changes["identity_problem"] = [None, household.identity_problem]
    audit_record(
        action=f"household.{event}",
        actor=None,
        target=household,
        from_state=from_state,
        to_state=household.identity_status,
        changes=changes,
    )
    _notify_identity(household, event)
    return household


def _notify_identity(household: Household, event: str) -> None:
    # The stored reason is an untranslated message id: translated lazily, it reaches people in their language.
    context = {"problem": gettext_lazy(household.identity_problem)} if household.identity_problem else {}
    recipient, mobile = household.user, household.mobile
    url = settings.SITE_URL + reverse("households:dashboard")
    transaction.on_commit(
        lambda: notify(recipient=recipient, event=event, context=context, url=url, sms_to=mobile)
    )


# Household members --------------------------------------------------------------------------------


def _member_changes_ok(data: Mapping[str, Any]) -> None:
    if data.get("date_of_birth") and data["date_of_birth"] > timezone.localdate():
        raise ValidationError({"date_of_birth": _("The date of birth cannot be in the future.")})


@transaction.atomic
def member_add(*, actor: Actor, household: Household, data: Mapping[str, Any]) -> HouseholdMember:
    household = _locked(household)
    _require_owner(actor, household)
    _member_changes_ok(data)
    member = HouseholdMember(
        household=household, **{name: data[name] for name in MEMBER_FIELDS if name in data}
    )
    member.full_clean(exclude=["household"])
    member.save()
    audit_record(
        action="household.member_added",
        actor=actor,
        target=household,
        changes=model_changes({}, snapshot(member, MEMBER_FIELDS)),
    )
    return member


@transaction.atomic
def member_update(*, actor: Actor, member: HouseholdMember, data: Mapping[str, Any]) -> HouseholdMember:
    member = HouseholdMember.objects.select_for_update().select_related("household").get(pk=member.pk)
    _require_owner(actor, member.household)
    _member_changes_ok(data)
    before = snapshot(member, MEMBER_FIELDS)
    for name in MEMBER_FIELDS:
        if name in data:
            setattr(member, name, data[name])
    member.full_clean(exclude=["household"])
    member.save()
    changes = model_changes(before, snapshot(member, MEMBER_FIELDS))
    if changes:
        changes.setdefault("name", [member.name, member.name])
        audit_record(action="household.member_updated", actor=actor, target=member.household, changes=changes)
    return member


@transaction.atomic
def member_remove(*, actor: Actor, member: HouseholdMember) -> None:
    member = HouseholdMember.objects.select_for_update().select_related("household").get(pk=member.pk)
    _require_owner(actor, member.household)
    before = snapshot(member, MEMBER_FIELDS)
    household = member.household
    member.delete()
    audit_record(action="household.member_removed", actor=actor, target=household, changes=_removed(before))


# Income proofs ------------------------------------------------------------------------------------


def _proof_errors(*, household: Household, kind: str, issued_on: dt.date, upload: UploadedFile) -> dict:
    errors: dict[str, str] = {}
    if kind not in ProofKind.values:
        errors["kind"] = _("Choose the kind of document.")
    elif kind == ProofKind.SOCIAL_INSURANCE and household.residency != Residency.RESIDENT:
        errors["kind"] = _("A social-insurance certificate is accepted from residents only.")
    today = timezone.localdate()
    max_age = rules_in_force(on=today).income_proof_max_age_days
    if issued_on > today:
        errors["issued_on"] = _("The issue date cannot be in the future.")
    elif issued_on < today - dt.timedelta(days=max_age):
        errors["issued_on"] = ngettext(
            "This document is too old: it must have been issued in the last %(days)d day.",
            "This document is too old: it must have been issued in the last %(days)d days.",
            max_age,
        ) % {"days": max_age}
    if upload.size > settings.UPLOAD_MAX_BYTES:
        errors["file"] = _("The file is too large: the limit is %(limit)s.") % {
            "limit": filesizeformat(settings.UPLOAD_MAX_BYTES)
        }
    elif detect_type(upload) is None:
        errors["file"] = _("Upload a PDF, JPEG or PNG document. This file is not one of them.")
    return errors


@transaction.atomic
def proof_add(
    *, actor: Actor, household: Household, kind: str, issued_on: dt.date, upload: UploadedFile
) -> IncomeProof:
    """Store an income proof privately; its type is read from its content and its hash kept as evidence."""
    household = _locked(household)
    _require_owner(actor, household)
    errors = _proof_errors(household=household, kind=kind, issued_on=issued_on, upload=upload)
    if errors:
        raise ValidationError(errors)
    proof = IncomeProof(
        household=household,
        kind=kind,
        issued_on=issued_on,
        original_name=Path(upload.name or "").name[-200:] or "document",
        content_type=detect_type(upload),
        size=upload.size,
        sha256=sha256_of(upload),
        uploaded_by=actor.user,
    )
    proof.file = upload
    proof.save()
    audit_record(
        action="household.proof_added",
        actor=actor,
        target=household,
        changes=model_changes({}, snapshot(proof, PROOF_FIELDS)),
    )
    return proof


def download_name(proof: IncomeProof) -> str:
    """The original name with the extension of the type actually stored, so the file opens correctly."""
    stem = Path(proof.original_name).stem or "document"
    return f"{stem}.{ALLOWED_TYPES.get(proof.content_type, 'bin')}"


@transaction.atomic
def proof_record_officer_download(*, actor: Actor, proof: IncomeProof) -> None:
    """An officer opened a household's document: the household sees it in its history."""
    if actor.is_delegate or not actor.user.has_perm("households.download_any_proof"):
        raise PermissionDenied(_("You may not download this household's documents."))
    audit_record(
        action="household.proof_downloaded",
        actor=actor,
        target=proof.household,
        changes={name: [getattr(proof, name)] * 2 for name in ("kind", "original_name")},
    )


@transaction.atomic
def proof_remove(*, actor: Actor, proof: IncomeProof) -> None:
    proof = IncomeProof.objects.select_for_update().select_related("household").get(pk=proof.pk)
    _require_owner(actor, proof.household)
    before = snapshot(proof, PROOF_FIELDS)
    household, stored_name, storage = proof.household, proof.file.name, proof.file.storage
    proof.delete()
    audit_record(action="household.proof_removed", actor=actor, target=household, changes=_removed(before))
    transaction.on_commit(lambda: storage.delete(stored_name))


# Employed workers ---------------------------------------------------------------------------------


def _worker_dates_ok(worker: EmployedWorker) -> None:
    today = timezone.localdate()
    if worker.employed_since > today:
        raise ValidationError({"employed_since": _("The start date cannot be in the future.")})
    if worker.ended_on is not None:
        if worker.ended_on > today:
            raise ValidationError({"ended_on": _("The end date cannot be in the future.")})
        if worker.ended_on < worker.employed_since:
            raise ValidationError({"ended_on": _("The end date cannot be before the start date.")})


@transaction.atomic
def worker_add(*, actor: Actor, household: Household, data: Mapping[str, Any]) -> EmployedWorker:
    household = _locked(household)
    _require_owner(actor, household)
    worker = EmployedWorker(
        household=household, **{name: data[name] for name in WORKER_FIELDS if name in data}
    )
    _worker_dates_ok(worker)
    worker.full_clean(exclude=["household"])
    worker.save()
    audit_record(
        action="household.worker_added",
        actor=actor,
        target=household,
        changes=model_changes({}, snapshot(worker, WORKER_FIELDS)),
    )
    return worker


@transaction.atomic
def worker_update(*, actor: Actor, worker: EmployedWorker, data: Mapping[str, Any]) -> EmployedWorker:
    return _worker_change(actor=actor, worker=worker, data=data, action="household.worker_updated")


@transaction.atomic
def worker_end(*, actor: Actor, worker: EmployedWorker, ended_on: dt.date) -> EmployedWorker:
    """The worker no longer works for the household (left, transferred, final exit)."""
    return _worker_change(
        actor=actor, worker=worker, data={"ended_on": ended_on}, action="household.worker_ended"
    )


def _worker_change(
    *, actor: Actor, worker: EmployedWorker, data: Mapping[str, Any], action: str
) -> EmployedWorker:
    worker = EmployedWorker.objects.select_for_update().select_related("household").get(pk=worker.pk)
    _require_owner(actor, worker.household)
    before = snapshot(worker, WORKER_FIELDS)
    for name in WORKER_FIELDS:
        if name in data:
            setattr(worker, name, data[name])
    _worker_dates_ok(worker)
    worker.full_clean(exclude=["household"])
    worker.save()
    changes = model_changes(before, snapshot(worker, WORKER_FIELDS))
    if changes:
        changes.setdefault("name", [worker.name, worker.name])
        audit_record(action=action, actor=actor, target=worker.household, changes=changes)
    return worker


# What the passports service reports about employed workers ----------------------------------------
#
# Called by the receivers of the registry's signals (receivers.py), with no actor: the system acts on
# the service's report. A worker is matched by her passport number, or by her iqama number when the
# service gives one. Each function is idempotent: a report already acted on changes nothing.

FLAG_FIELDS = ("kind", "since")


def _reported(passport_number: str, iqama_number: str) -> Q:
    found = Q(passport_number=passport_number)
    return found | Q(iqama_number=iqama_number) if iqama_number else found


def _reported_employments(passport_number: str, iqama_number: str) -> QuerySet[EmployedWorker]:
    """The open employments of the reported worker, locked, with the household to tell."""
    return (
        EmployedWorker.objects.select_for_update(of=("self",))
        .select_related("household__user")
        .filter(_reported(passport_number, iqama_number), ended_on__isnull=True)
        .order_by("pk")
    )


def _notify_household(household: Household, event: str, context: dict[str, Any], *, sms: bool) -> None:
    recipient, mobile, url = household.user, household.mobile if sms else None, reverse("households:workers")
    transaction.on_commit(
        lambda: notify(recipient=recipient, event=event, context=context, url=url, sms_to=mobile),
        robust=True,
    )


@transaction.atomic
def employment_flag_from_passports(
    *, passport_number: str, iqama_number: str, kind: str, since: dt.date | None, run_id: int | None
) -> list[EmploymentFlag]:
    """The worker is reported absent from work or in custody: each household employing her is told
    (inbox, e-mail and SMS, as the household may have to act) and the ministry sees the flag until it is
    closed. An employment already flagged open for the same reason is left as it is."""
    if kind not in FlagKind.values:
        raise ValueError(f"employment_flag_from_passports: unknown kind {kind!r}")
    since = since or timezone.localdate()
    flags = []
    for worker in _reported_employments(passport_number, iqama_number):
        if worker.flags.filter(kind=kind, state=FlagState.OPEN).exists():
            continue
        flag = EmploymentFlag.objects.create(worker=worker, kind=kind, since=since, feed_run_id=run_id)
        audit_record(
            action="household.worker_flagged",
            actor=None,
            target=worker.household,
            to_state=flag.state,
            changes={"worker": [worker.name, worker.name], **model_changes({}, snapshot(flag, FLAG_FIELDS))},
        )
        context = {"worker_name": worker.name, "kind": kind, "since": since.isoformat()}
        _notify_household(worker.household, "employment_flagged", context, sms=True)
        flags.append(flag)
    return flags


def _flag_close(flag: EmploymentFlag, *, actor: Actor | None, note: str, **reported: str) -> None:
    household = flag.worker.household
    flag.close(at=timezone.now(), by=actor.user if actor else None, note=note)
    flag.save()
    audit_record(
        action="household.worker_flag_closed",
        actor=actor,
        target=household,
        from_state=FlagState.OPEN,
        to_state=flag.state,
        changes={
            "worker": [flag.worker.name, flag.worker.name],
            "kind": [flag.kind, flag.kind],
            "note": [None, note or None],
            **reported,
        },
    )
    context = {"worker_name": flag.worker.name, "kind": flag.kind, "by_ministry": actor is not None}
    _notify_household(household, "employment_flag_closed", context, sms=False)


@transaction.atomic
def employment_flags_clear_on_return(
    *, passport_number: str, iqama_number: str, on: dt.date | None
) -> list[EmploymentFlag]:
    """The service reports the worker back in residence: an open absence is over, and closes by itself
    (a custody report waits for an officer, who knows how the case ended)."""
    flags = list(
        EmploymentFlag.objects.select_for_update(of=("self",))
        .select_related("worker__household__user")
        .filter(
            state=FlagState.OPEN,
            kind=FlagKind.ABSENT,
            worker__in=EmployedWorker.objects.filter(_reported(passport_number, iqama_number)),
        )
        .order_by("pk")
    )
    back_on = (on or timezone.localdate()).isoformat()
    for flag in flags:
        _flag_close(
            flag, actor=None, note="", reported_status=TravelStatus.ARRIVED.value, reported_on=back_on
        )
    return flags


@transaction.atomic
def employment_flag_close(*, actor: Actor, flag: EmploymentFlag, note: str) -> EmploymentFlag:
    """A ministry officer settles a flag (the worker came back, the case was dealt with) and says how."""
    if actor.is_delegate or not actor.user.has_perm("households.handle_employment_flags"):
        raise PermissionDenied(_("Your role does not allow closing these reports."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say how the matter was settled.")})
    if len(note) > EmploymentFlag._meta.get_field("note").max_length:
        raise ValidationError({"note": _("Keep the note to 500 characters or fewer.")})
    flag = (
        EmploymentFlag.objects.select_for_update(of=("self",))
        .select_related("worker__household__user")
        .get(pk=flag.pk)
    )
    if flag.state != FlagState.OPEN:
        raise ValidationError(_("This report has already been closed."))
    _flag_close(flag, actor=actor, note=note)
    return flag


@transaction.atomic
def employment_end_from_passports(
    *, passport_number: str, iqama_number: str, on: dt.date | None, status: str
) -> list[EmployedWorker]:
    """The worker left the kingdom for good ("exited") or died ("deceased"): her employment ends that day.

    A death is told to the household; an exit needs no word here (a return within the guarantee is the
    recruitment stage's, which tells the household itself). The end is never before the employment's
    start: the reported day is kept in the audit trail."""
    if status not in (TravelStatus.EXITED, TravelStatus.DECEASED):
        raise ValueError(f"employment_end_from_passports: unknown status {status!r}")
    on = on or timezone.localdate()
    ended = []
    for worker in _reported_employments(passport_number, iqama_number):
        worker.ended_on = max(on, worker.employed_since)
        worker.save(update_fields=["ended_on"])
        audit_record(
            action="household.worker_ended",
            actor=None,
            target=worker.household,
            changes={
                "name": [worker.name, worker.name],
                "ended_on": [None, worker.ended_on.isoformat()],
                "reported_status": str(status),
                "reported_on": on.isoformat(),
            },
        )
        if status == TravelStatus.DECEASED:
            context = {"worker_name": worker.name, "on": on.isoformat()}
            _notify_household(worker.household, "employment_worker_deceased", context, sms=True)
        ended.append(worker)
    return ended
