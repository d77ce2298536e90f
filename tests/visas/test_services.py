"""The visa services end to end, with the fake payment service and the fake foreign ministry."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from musaned.accounts.actor import Actor
from musaned.accounts.models import AuditEvent, Delegation, DelegationScope
from musaned.accounts.roles import Role
from musaned.billing.models import Bill, BillPurpose, BillState, Refund, RefundState
from musaned.documents.models import Document
from musaned.integrations.models import FakeBill
from musaned.notifications.models import Message, Notification
from tests.factories import EmployedWorkerFactory, HouseholdFactory, IncomeProofFactory, UserFactory
from visas import services
from visas.models import FindingVerdict, RejectionReason, Visa, VisaKind, VisaState
from visas.selectors import review_queue, visa_timeline

from .visa_domain import country, days_ago, fresh, referred_household

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_pdfs")]


@pytest.fixture(autouse=True)
def _english():
    """Messages read in English here (outside a request the platform speaks Arabic)."""
    with translation.override("en"):
        yield


def events_for(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("event", flat=True))


def delegate_of(household, scope: str) -> Actor:
    delegate = UserFactory(first_name="Sara")
    delegation = Delegation.objects.create(
        principal=household.user,
        delegate=delegate,
        scope=scope,
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )
    return Actor(user=delegate, principal=household.user, delegation=delegation)


# Application, fee and automatic approval --------------------------------------------------------------


def test_a_paid_application_is_approved_by_the_rules_issued_printed_and_activated(household, apply, pay):
    visa = apply(household)

    assert visa.state == VisaState.AWAITING_PAYMENT
    assert visa.kind == VisaKind.NEW
    assert visa.reference.startswith("VA-") and len(visa.reference) == 15
    bill = visa.bill
    assert bill.purpose == BillPurpose.VISA_FEE
    assert (bill.amount, bill.vat_amount) == (Decimal("2000.00"), Decimal("0.00"))
    assert bill.payer == household.user
    assert "2,000" in visa.fee_formula and "2024" in visa.fee_formula

    visa = pay(visa)

    assert visa.state == VisaState.ACTIVATED
    assert len(visa.number) == 10 and visa.number.startswith("6") and visa.number.isdigit()
    assert visa.valid_until == timezone.localdate() + dt.timedelta(days=730)
    assert visa.decided_by is None
    assert visa.activation_ref.startswith("MOFA-")
    assert set(visa.findings.values_list("verdict", flat=True)) == {FindingVerdict.PASS}
    assert Document.objects.filter(kind="visa", subject_id=str(visa.pk)).count() == 1
    assert events_for(household.user) == [
        "visa_bill_issued",
        "visa_under_review",
        "visa_issued",
        "visa_activated",
    ]
    assert Message.objects.filter(channel="sms", to=household.mobile).count() == 4


def test_an_exempt_household_pays_nothing_and_is_reviewed_at_once(apply):
    household = HouseholdFactory(has_registered_disability=True)
    IncomeProofFactory(household=household)

    visa = fresh(apply(household))

    assert visa.bill is None and visa.fee_amount == 0
    assert visa.state == VisaState.ACTIVATED
    assert not Bill.objects.exists()
    assert "visa_bill_issued" not in events_for(household.user)


def test_applying_again_after_a_rejection_costs_the_eservice_fee_with_its_vat(household, apply, pay):
    first = apply(household)
    household.income_proofs.all().delete()
    assert pay(first).state == VisaState.REJECTED
    IncomeProofFactory(household=household)

    again = apply(household)

    assert again.kind == VisaKind.REAPPLICATION
    assert again.bill.purpose == BillPurpose.ESERVICE_FEE
    assert (again.bill.amount, again.bill.vat_amount) == (Decimal("172.50"), Decimal("22.50"))
    assert "172.50" in again.fee_formula and "22.50" in again.fee_formula
    # Another occupation is a new application, at the visa fee.
    other = apply(household, occupation=services.Occupation.objects.get(code="cook"))
    assert other.kind == VisaKind.NEW and other.bill.amount == Decimal("2000.00")


def test_a_full_tier_is_explained_and_nothing_is_created(household, apply):
    # 12,000 SAR with a salary certificate: a first and a second visa, not a third (25,000 SAR).
    apply(household)
    apply(household)

    with pytest.raises(ValidationError) as refused:
        apply(household)

    assert "25,000" in " ".join(refused.value.messages)
    assert Visa.objects.count() == 2 and Bill.objects.count() == 2


def test_workers_employed_now_count_against_the_tier(apply):
    household = HouseholdFactory()
    IncomeProofFactory(household=household)
    EmployedWorkerFactory(household=household)
    EmployedWorkerFactory(household=household)

    with pytest.raises(ValidationError):
        apply(household)
    assert not Visa.objects.exists()


def test_without_an_income_proof_the_reason_is_given(apply):
    household = HouseholdFactory()

    with pytest.raises(ValidationError) as refused:
        apply(household)

    assert "income proof" in " ".join(refused.value.messages)
    assert not Visa.objects.exists()


def test_a_resident_may_not_recruit_a_compatriot(apply):
    household = HouseholdFactory(resident=True, nationality=country("PH"), monthly_income=15000)
    IncomeProofFactory(household=household)

    with pytest.raises(ValidationError) as refused:
        apply(household, nationality=country("PH"))

    assert "nationality" in refused.value.error_dict
    assert apply(household, nationality=country("ID")).state == VisaState.AWAITING_PAYMENT


def test_bad_input_is_refused_per_field(household, apply):
    with pytest.raises(ValidationError) as refused:
        apply(household, gender="other", arrival_city="XXX", stated_income=Decimal("0"))

    assert set(refused.value.error_dict) == {"gender", "arrival_city", "stated_income"}
    assert not Visa.objects.exists()


def test_a_delegate_applies_within_the_scope_and_is_refused_outside_it(household, apply):
    delegate = delegate_of(household, DelegationScope.VISA_APPLICATIONS)

    visa = apply(household, actor=delegate)

    assert visa.household == household and visa.applied_by == delegate.user
    event = AuditEvent.objects.get(action="visa.applied")
    assert (event.actor, event.on_behalf_of) == (delegate.user, household.user)
    with pytest.raises(PermissionDenied):
        apply(household, actor=delegate_of(household, DelegationScope.PROFILE))


def test_only_a_household_account_applies(apply, household):
    office_manager = UserFactory(roles=[Role.OFFICE_MANAGER])

    with pytest.raises(PermissionDenied):
        apply(household, actor=Actor.direct(office_manager))


# Review: rules and officers --------------------------------------------------------------------------


def test_the_rules_reject_an_application_the_household_no_longer_qualifies_for(household, apply, pay):
    visa = apply(household)
    household.income_proofs.all().delete()

    visa = pay(visa)

    assert visa.state == VisaState.REJECTED
    assert visa.rejection_reason == RejectionReason.NOT_ELIGIBLE
    assert "40,000" in visa.decision_note  # the reasons, in the household's language
    assert visa.decided_by is None and visa.number is None
    assert visa.bill.state == BillState.PAID and not Refund.objects.exists()
    assert events_for(household.user)[-1] == "visa_rejected"


def test_a_referred_application_waits_for_an_officer_who_approves_it(apply, pay, decide, officer):
    household = referred_household()
    visa = pay(apply(household))

    assert visa.state == VisaState.UNDER_REVIEW
    assert visa.findings.get(rule="income_proof").verdict == FindingVerdict.REFER
    assert list(review_queue(user=officer)) == [visa]
    assert visa.decision_due_at == visa.review_started_at + dt.timedelta(hours=24)

    decide(officer, visa, approve=True)

    visa = fresh(visa)
    assert visa.state == VisaState.ACTIVATED
    assert visa.decided_by == officer
    assert not review_queue(user=officer).exists()
    issued = [step for step in visa_timeline(visa=visa) if step.label == "Visa issued"]
    assert issued[0].by == "A ministry officer"


def test_an_officer_rejects_with_a_reason_and_a_note(apply, pay, decide, officer):
    household = referred_household()
    visa = pay(apply(household))

    decide(
        officer,
        visa,
        approve=False,
        reason=RejectionReason.PROOF_UNREADABLE,
        note="The statement is blurred.",
    )

    visa = fresh(visa)
    assert visa.state == VisaState.REJECTED
    assert (visa.rejection_reason, visa.decision_note) == (
        RejectionReason.PROOF_UNREADABLE,
        "The statement is blurred.",
    )
    assert events_for(household.user)[-1] == "visa_rejected"
    assert "blurred" in Notification.objects.filter(recipient=household.user).first().body
    assert not Refund.objects.exists()


def test_a_rejection_needs_a_reason_and_other_needs_a_note(apply, pay, decide, officer):
    visa = pay(apply(referred_household()))

    with pytest.raises(ValidationError) as no_reason:
        decide(officer, visa, approve=False)
    with pytest.raises(ValidationError) as no_note:
        decide(officer, visa, approve=False, reason=RejectionReason.OTHER, note="  ")

    assert "reason" in no_reason.value.error_dict and "note" in no_note.value.error_dict
    assert fresh(visa).state == VisaState.UNDER_REVIEW


def test_the_second_decision_is_refused_and_says_who_decided(apply, pay, decide, officer, second_officer):
    visa = pay(apply(referred_household()))
    decide(officer, visa, approve=True)

    with pytest.raises(services.VisaAlreadyDecided) as late:
        decide(second_officer, visa, approve=False, reason=RejectionReason.INCOMPLETE)

    assert "Officer One" in late.value.messages[0] and "approved" in late.value.messages[0]
    assert fresh(visa).decided_by == officer


def test_only_visa_review_officers_decide_and_only_cases_sent_to_them(
    household, apply, pay, decide, officer, supervisor
):
    referred = pay(apply(referred_household()))
    for outsider in (supervisor, household.user, UserFactory(roles=[Role.COMPLAINTS])):
        with pytest.raises(PermissionDenied):
            decide(outsider, referred, approve=True)

    approved_by_rules = pay(apply(household))
    with pytest.raises(services.VisaAlreadyDecided) as decided:
        decide(officer, approved_by_rules, approve=False, reason=RejectionReason.OTHER, note="x")
    assert "the automatic review" in decided.value.messages[0]
    unpaid = apply(household)
    with pytest.raises(ValidationError):
        decide(officer, unpaid, approve=True)
    assert fresh(unpaid).state == VisaState.AWAITING_PAYMENT


# Cancellation, refund, expiry, use -------------------------------------------------------------------


def test_cancelling_an_unused_visa_refunds_the_fee_through_the_payment_service(
    household, apply, pay, django_capture_on_commit_callbacks
):
    visa = pay(apply(household))
    quote = services.visa_cancel_refund(visa=visa)
    assert quote.amount == Decimal("2000.00") and "2,000" in quote.formula
    with translation.override(
        household.user.preferred_language
    ):  # the refund is recorded in the payer's words
        payer_formula = services.visa_cancel_refund(visa=visa).formula

    with django_capture_on_commit_callbacks(execute=True):
        services.visa_cancel(actor=Actor.direct(household.user), visa=visa)

    visa = fresh(visa)
    assert visa.state == VisaState.CANCELLED and visa.closed_at is not None
    refund = Refund.objects.get(bill=visa.bill)
    assert refund.amount == Decimal("2000.00") and refund.idempotency_key == f"visa-cancel-{visa.pk}"
    assert refund.state == RefundState.SENT and refund.formula == payer_formula
    assert FakeBill.objects.get(bill_number=visa.bill.number).refunded == Decimal("2000.00")
    assert events_for(household.user)[-2:] == ["visa_cancelled", "visa_refunded"]
    assert AuditEvent.objects.filter(action="visa.refunded", target_id=str(visa.pk)).exists()
    with pytest.raises(ValidationError):
        services.visa_cancel(actor=Actor.direct(household.user), visa=visa)
    assert Refund.objects.count() == 1


def test_a_used_an_old_or_someone_elses_visa_cannot_be_cancelled(household, apply, pay):
    owner = Actor.direct(household.user)
    used = pay(apply(household))
    services.visa_mark_used(visa=used, at=timezone.now())
    old = pay(apply(household))
    Visa.objects.filter(pk=old.pk).update(issued_at=days_ago(730))

    for visa in (used, old):
        assert not services.visa_cancellable(visa=fresh(visa))
        with pytest.raises(ValidationError):
            services.visa_cancel(actor=owner, visa=fresh(visa))
    with pytest.raises(PermissionDenied):
        services.visa_cancel(actor=Actor.direct(HouseholdFactory().user), visa=old)
    assert fresh(old).state == VisaState.ACTIVATED and not Refund.objects.exists()


def test_visas_past_their_validity_expire_in_the_daily_sweep(
    household, apply, pay, django_capture_on_commit_callbacks
):
    visa = pay(apply(household))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.visa_expire_due(today=visa.valid_until) == 0
        assert services.visa_expire_due(today=visa.valid_until + dt.timedelta(days=1)) == 1
        assert services.visa_expire_due(today=visa.valid_until + dt.timedelta(days=2)) == 0

    assert fresh(visa).state == VisaState.EXPIRED
    assert events_for(household.user)[-1] == "visa_expired"


# Replacement -----------------------------------------------------------------------------------------


def used_visa(household, apply, pay) -> Visa:
    visa = pay(apply(household))
    return services.visa_mark_used(visa=visa, at=timezone.now() - dt.timedelta(days=40))


def test_a_worker_leaving_within_90_days_gives_a_replacement_for_the_eservice_fee(
    household, apply, pay, replace
):
    original = used_visa(household, apply, pay)
    today = timezone.localdate()

    replacement = replace(original, arrival_on=today - dt.timedelta(days=40), exit_on=today)

    assert replacement.kind == VisaKind.REPLACEMENT and replacement.replaces == original
    assert (
        replacement.occupation,
        replacement.nationality,
        replacement.gender,
        replacement.arrival_city,
    ) == (
        original.occupation,
        original.nationality,
        original.gender,
        original.arrival_city,
    )
    assert replacement.bill.purpose == BillPurpose.ESERVICE_FEE and replacement.bill.amount == Decimal(
        "172.50"
    )
    assert "visa_replacement_issued" in events_for(household.user)
    # The replacement takes the place of the visa held: the tiers are not judged again.
    replacement = pay(replacement)
    assert replacement.state == VisaState.ACTIVATED
    assert replacement.findings.get(rule="eligibility").params["replacement"] is True


def test_no_replacement_for_a_replacement_after_90_days_or_twice(household, apply, pay, replace):
    today = timezone.localdate()
    original = used_visa(household, apply, pay)

    with pytest.raises(ValidationError) as late:
        replace(original, arrival_on=today - dt.timedelta(days=91), exit_on=today)
    assert "90" in " ".join(late.value.messages)

    replacement = pay(replace(original, arrival_on=today, exit_on=today))
    services.visa_mark_used(visa=replacement, at=timezone.now())
    with pytest.raises(ValidationError) as again:
        replace(original, arrival_on=today, exit_on=today)
    with pytest.raises(ValidationError) as chain:
        replace(fresh(replacement), arrival_on=today, exit_on=today)

    assert "already been replaced" in " ".join(again.value.messages)
    assert "cannot itself be replaced" in " ".join(chain.value.messages)
    assert Visa.objects.filter(kind=VisaKind.REPLACEMENT).count() == 1


def test_only_a_used_visa_of_the_asking_household_is_replaced(household, apply, pay, replace):
    today = timezone.localdate()
    unused = pay(apply(household))

    with pytest.raises(ValidationError):
        replace(unused, arrival_on=today, exit_on=today)
    used = used_visa(household, apply, pay)
    with pytest.raises(PermissionDenied):
        replace(used, arrival_on=today, exit_on=today, actor=Actor.direct(HouseholdFactory().user))
