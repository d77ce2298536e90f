"""Offices' rules: the price ceiling, CVs within the rules, the commerce check, sanctions, and which
offices take new requests."""

import datetime as dt
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from musaned.accounts.actor import Actor
from musaned.accounts.models import AuditEvent, DelegationScope
from musaned.accounts.roles import Role
from musaned.integrations.interfaces import CrStatus
from musaned.integrations.models import GatewayCall
from musaned.integrations.tasks import GatewayTask
from musaned.notifications.models import Notification
from musaned.policy.models import Country, Occupation
from recruitment import offices_tasks, services
from recruitment.models import Office, PriceListEntry, Sanction, WorkerCV
from tests.factories import (
    OfficeFactory,
    PriceListEntryFactory,
    SanctionFactory,
    UserFactory,
    WorkerCVFactory,
)
from tests.recruitment.offices_support import (
    actor,
    case,
    delegation,
    manager_of,
    ministry_officer,
    picture,
    rules,
    staff_of,
)

pytestmark = pytest.mark.django_db

PH = "PH"


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def office():
    return OfficeFactory(name_en="Al Nakheel Recruitment")


@pytest.fixture
def manager(office):
    return manager_of(office)


@pytest.fixture
def licensing():
    return ministry_officer(Role.LICENSING)


def philippines():
    return Country.objects.get(code=PH)


def housemaid():
    return Occupation.objects.get(code="housemaid")


def cv_data(**overrides):
    data = {
        "name": "Maria Reyes",
        "nationality": philippines(),
        "occupation": housemaid(),
        "gender": "female",
        "date_of_birth": dt.date(1993, 2, 1),
        "religion": "christian",
        "marital_status": "single",
        "languages": "English, Tagalog",
        "experience_years": 4,
        "skills": "Cooking, child care",
        "passport_number": "p1234567",
        "passport_expiry": timezone.localdate() + relativedelta(years=3),
        "monthly_salary": Decimal("1500"),
        "phone": "+639171234567",
    }
    return data | overrides


# --- price list ------------------------------------------------------------------------------------


def test_a_price_above_the_ceiling_is_refused_naming_the_ceiling(office, manager):
    with pytest.raises(ValidationError) as refused:
        services.price_set(
            actor=actor(manager),
            office=office,
            nationality=philippines(),
            occupation=housemaid(),
            price=Decimal("14700.01"),
            delivery_days=60,
        )
    assert "14,700" in refused.value.message_dict["price"][0]
    assert not PriceListEntry.objects.exists()


def test_a_price_at_the_ceiling_is_accepted_and_replaces_the_earlier_one(office, manager):
    for price in (Decimal("13000"), Decimal("14700")):
        entry = services.price_set(
            actor=actor(manager),
            office=office,
            nationality=philippines(),
            occupation=housemaid(),
            price=price,
            delivery_days=60,
        )
    assert PriceListEntry.objects.get() == entry and entry.price == Decimal("14700")
    event = AuditEvent.objects.filter(action="office_price_set").latest("id")
    assert event.changes["price"] == ["13000.00", "14700.00"]


def test_delivery_slower_than_the_rules_allow_is_refused(office, manager):
    with pytest.raises(ValidationError) as refused:
        services.price_set(
            actor=actor(manager),
            office=office,
            nationality=philippines(),
            occupation=housemaid(),
            price=Decimal("10000"),
            delivery_days=91,
        )
    assert "90 days" in refused.value.message_dict["delivery_days"][0]


def test_staff_keep_the_price_list_but_not_for_another_office(office):
    staff = staff_of(office)
    services.price_set(
        actor=actor(staff),
        office=office,
        nationality=philippines(),
        occupation=housemaid(),
        price=Decimal("9000"),
        delivery_days=45,
    )
    with pytest.raises(PermissionDenied):
        services.price_set(
            actor=actor(staff),
            office=OfficeFactory(),
            nationality=philippines(),
            occupation=housemaid(),
            price=Decimal("9000"),
            delivery_days=45,
        )
    assert PriceListEntry.objects.get().office == office


def test_a_delegate_needs_a_recruitment_delegation(office, manager):
    for scope, allowed in ((DelegationScope.COMPLAINTS, False), (DelegationScope.RECRUITMENT, True)):
        granted = delegation(manager, scope)
        as_delegate = Actor(user=granted.delegate, principal=manager, delegation=granted)
        kwargs = {
            "office": office,
            "nationality": philippines(),
            "occupation": housemaid(),
            "price": Decimal("9000"),
        }
        if allowed:
            services.price_set(actor=as_delegate, delivery_days=30, **kwargs)
        else:
            with pytest.raises(PermissionDenied):
                services.price_set(actor=as_delegate, delivery_days=30, **kwargs)
    assert PriceListEntry.objects.get().delivery_days == 30


def test_removing_a_price(office, manager):
    entry = PriceListEntryFactory(office=office)
    services.price_remove(actor=actor(manager), entry=entry)
    assert not PriceListEntry.objects.exists()
    assert AuditEvent.objects.filter(action="office_price_removed", actor=manager).exists()


# --- worker CVs ------------------------------------------------------------------------------------


def test_a_cv_within_the_rules_is_published_in_the_country_language(office, manager):
    cv = services.cv_publish(actor=actor(manager), office=office, data=cv_data(), photo=picture())
    assert cv.language == "tl" and cv.passport_number == "P1234567" and cv.available
    assert cv.photo.name.startswith("cv-photos/")
    assert AuditEvent.objects.filter(action="office_cv_published", target_id=str(cv.pk)).exists()


def test_a_passport_expiring_before_the_contract_ends_is_refused(office, manager):
    contract_end = timezone.localdate() + relativedelta(months=rules().contract_months)
    with pytest.raises(ValidationError) as refused:
        services.cv_publish(actor=actor(manager), office=office, data=cv_data(passport_expiry=contract_end))
    assert "must stay valid after the 24-month contract" in refused.value.message_dict["passport_expiry"][0]
    assert not WorkerCV.objects.exists()

    cv = services.cv_publish(
        actor=actor(manager),
        office=office,
        data=cv_data(passport_expiry=contract_end + dt.timedelta(days=1)),
    )
    assert cv.pk


def test_a_salary_under_the_minimum_wage_is_refused(office, manager):
    with pytest.raises(ValidationError) as refused:
        services.cv_publish(
            actor=actor(manager), office=office, data=cv_data(monthly_salary=Decimal("1499.99"))
        )
    assert refused.value.message_dict["monthly_salary"] == [
        "The minimum monthly wage for workers from Philippines is 1,500 SAR."
    ]
    assert not WorkerCV.objects.exists()


def test_a_country_without_a_minimum_wage_takes_any_salary(office, manager):
    cv = services.cv_publish(
        actor=actor(manager),
        office=office,
        data=cv_data(nationality=Country.objects.get(code="KE"), monthly_salary=Decimal("900")),
    )
    assert cv.language == "sw"


def not_a_picture():
    return SimpleUploadedFile("photo.jpg", b"%PDF-1.4 pretending", content_type="image/jpeg")


def damaged_picture():
    head = picture("PNG").read()[:60]
    return SimpleUploadedFile("photo.png", head, content_type="image/png")


@pytest.mark.parametrize(
    "upload, message",
    [
        (lambda: picture("GIF", "photo.gif"), "JPEG or PNG"),
        (not_a_picture, "JPEG or PNG"),
        (damaged_picture, "damaged"),
    ],
)
def test_a_photo_must_really_be_a_jpeg_or_png(office, manager, upload, message):
    with pytest.raises(ValidationError) as refused:
        services.cv_publish(actor=actor(manager), office=office, data=cv_data(), photo=upload())
    assert message in refused.value.message_dict["photo"][0]
    assert not WorkerCV.objects.exists()


def test_a_photo_over_the_upload_limit_is_refused(office, manager, settings):
    settings.UPLOAD_MAX_BYTES = 100
    with pytest.raises(ValidationError) as refused:
        services.cv_publish(
            actor=actor(manager), office=office, data=cv_data(), photo=picture("JPEG", "p.jpg", (200, 200))
        )
    assert "too large" in refused.value.message_dict["photo"][0]


def test_the_same_passport_twice_in_one_office_is_refused(office, manager):
    services.cv_publish(actor=actor(manager), office=office, data=cv_data())
    with pytest.raises(ValidationError) as refused:
        services.cv_publish(actor=actor(manager), office=office, data=cv_data(passport_number="P1234567 "))
    assert "already has a CV" in refused.value.message_dict["passport_number"][0]


def test_update_and_withdraw_a_cv(office, manager):
    cv = services.cv_publish(actor=actor(manager), office=office, data=cv_data())
    services.cv_update(actor=actor(manager), cv=cv, data={"monthly_salary": Decimal("1700")})
    cv.refresh_from_db()
    assert cv.monthly_salary == Decimal("1700")
    event = AuditEvent.objects.get(action="office_cv_updated")
    assert event.changes == {"monthly_salary": ["1500.00", "1700.00"]}

    with pytest.raises(ValidationError):
        services.cv_update(actor=actor(manager), cv=cv, data={"monthly_salary": Decimal("100")})
    cv.refresh_from_db()
    assert cv.monthly_salary == Decimal("1700")

    services.cv_withdraw(actor=actor(manager), cv=cv)
    cv.refresh_from_db()
    assert not cv.available


def test_a_cv_under_contract_cannot_change(office, manager):
    request = case(office)
    cv = request.contracts.get().cv
    WorkerCV.objects.filter(pk=cv.pk).update(available=True)
    with pytest.raises(ValidationError):
        services.cv_update(actor=actor(manager), cv=cv, data={"name": "Someone Else"})
    with pytest.raises(ValidationError):
        services.cv_withdraw(actor=actor(manager), cv=cv)
    cv.refresh_from_db()
    assert cv.available and cv.name != "Someone Else"


def test_another_office_cannot_touch_a_cv(office):
    cv = WorkerCVFactory(office=office)
    outsider = manager_of(OfficeFactory())
    with pytest.raises(PermissionDenied):
        services.cv_withdraw(actor=actor(outsider), cv=cv)
    with pytest.raises(PermissionDenied):
        services.cv_publish(actor=actor(UserFactory(roles=[Role.HOUSEHOLD])), office=office, data=cv_data())


# --- registration and the commerce check -----------------------------------------------------------

OFFICE_DATA = {
    "name_ar": "مكتب الواحة",
    "name_en": "Al Waha Office",
    "licence_number": "RL-777",
    "licence_valid_until": dt.date(2030, 1, 1),
    "bank_guarantee_amount": Decimal("250000"),
    "city": "جدة",
    "phone": "+966122222222",
    "email": "info@alwaha.example.sa",
}


def register(licensing, cr_number, capture, email="boss@alwaha.example.sa"):
    with capture(execute=True):
        return services.office_register(
            actor=actor(licensing),
            data=OFFICE_DATA | {"cr_number": cr_number},
            manager_email=email,
            manager_first_name="Saad",
            manager_last_name="Alghamdi",
        )


def test_registering_an_office_invites_its_manager_and_checks_the_registration(
    licensing, django_capture_on_commit_callbacks
):
    office = register(licensing, "4030111222", django_capture_on_commit_callbacks)
    office.refresh_from_db()
    assert office.cr_valid_until == timezone.localdate() + dt.timedelta(days=365)
    assert office.cr_checked_at is not None
    assert services.office_accepts_requests(office) == (True, "")
    assert office.memberships.get().user.email == "boss@alwaha.example.sa"
    assert mail.outbox[-1].to == ["boss@alwaha.example.sa"]
    assert AuditEvent.objects.filter(action="office_registered", actor=licensing).exists()


def test_only_the_licensing_team_registers_offices(django_capture_on_commit_callbacks):
    for role in (Role.COMPLAINTS, Role.VISA_REVIEW, Role.OFFICE_MANAGER, Role.HOUSEHOLD):
        with pytest.raises(PermissionDenied):
            register(UserFactory(roles=[role]), "4030111222", django_capture_on_commit_callbacks)
    assert not Office.objects.exists()


def test_a_manager_address_already_in_use_leaves_nothing_behind(
    licensing, django_capture_on_commit_callbacks
):
    taken = UserFactory(roles=[Role.HOUSEHOLD])
    with pytest.raises(ValidationError) as refused:
        register(licensing, "4030111222", django_capture_on_commit_callbacks, email=taken.email)
    assert "manager_email" in refused.value.message_dict
    assert not Office.objects.exists()


def test_an_expired_registration_stops_new_requests(licensing, django_capture_on_commit_callbacks):
    office = register(licensing, "4030111229", django_capture_on_commit_callbacks)
    office.refresh_from_db()
    accepts, reason = services.office_accepts_requests(office)
    assert not accepts and "commercial registration expired on" in reason


def test_an_unknown_registration_stops_new_requests(licensing, django_capture_on_commit_callbacks):
    office = register(licensing, "4030111220", django_capture_on_commit_callbacks)
    office.refresh_from_db()
    assert office.cr_valid_until is None and office.cr_checked_at is not None
    assert services.office_accepts_requests(office) == (
        False,
        "The commerce registry does not know the office's commercial registration.",
    )


@pytest.mark.parametrize("failure", ["timeout", "error", "malformed"])
def test_the_check_is_retried_while_the_registry_is_down_and_nothing_is_lost(settings, failure):
    office = OfficeFactory(
        cr_number="4030111229", cr_valid_until=timezone.localdate() + dt.timedelta(days=10)
    )
    settings.INTEGRATIONS_FAKE_FAILURES = {"commerce": failure}
    result = offices_tasks.office_check_commercial_registration.delay(office_id=office.pk)
    assert result.failed()
    assert GatewayCall.objects.filter(gateway="commerce").count() == GatewayTask.max_retries + 1
    office.refresh_from_db()
    assert services.office_accepts_requests(office)[0]  # the last known validity stands meanwhile

    settings.INTEGRATIONS_FAKE_FAILURES = {}
    offices_tasks.office_check_commercial_registration.delay(office_id=office.pk)
    office.refresh_from_db()
    assert not services.office_accepts_requests(office)[0]


def test_the_daily_check_covers_every_active_office_and_tells_managers_of_a_lapse(
    django_capture_on_commit_callbacks,
):
    lapsing = OfficeFactory(cr_number="1010999999")
    manager = manager_of(lapsing)
    fine = OfficeFactory(cr_number="1010999991")
    OfficeFactory(cr_number="1010999992", active=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert offices_tasks.offices_check_commercial_registrations() == 2

    lapsing.refresh_from_db()
    fine.refresh_from_db()
    assert lapsing.cr_valid_until < timezone.localdate()
    assert fine.cr_valid_until == timezone.localdate() + dt.timedelta(days=365)
    assert Notification.objects.get(recipient=manager).event == "office_registration_lapsed"
    assert AuditEvent.objects.filter(action="office_registration_checked", target_id=str(lapsing.pk)).exists()


def test_a_corrected_number_ignores_the_answer_about_the_old_one():
    office = OfficeFactory(cr_number="4030111221")
    services.office_record_registration(
        office_id=office.pk,
        status=CrStatus(cr_number="4030111229", found=True, valid_until=dt.date(2020, 1, 1)),
    )
    office.refresh_from_db()
    assert office.cr_valid_until > timezone.localdate()


# --- who takes requests ----------------------------------------------------------------------------


def test_reasons_an_office_takes_no_requests():
    today = timezone.localdate()
    assert services.office_accepts_requests(OfficeFactory()) == (True, "")
    assert services.office_accepts_requests(OfficeFactory(active=False)) == (
        False,
        "This office is no longer active.",
    )
    expired = OfficeFactory(licence_valid_until=today - dt.timedelta(days=1))
    assert "licence expired" in services.office_accepts_requests(expired)[1]
    unchecked = OfficeFactory(cr_valid_until=None, cr_checked_at=None)
    assert "not been confirmed yet" in services.office_accepts_requests(unchecked)[1]
    assert services.office_accepts_requests(expired, on=today - dt.timedelta(days=1))[0]


# --- sanctions -------------------------------------------------------------------------------------


def test_a_suspension_blocks_new_requests_until_reinstated(
    office, manager, licensing, django_capture_on_commit_callbacks
):
    until = timezone.localdate() + dt.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        services.office_suspend(
            actor=actor(licensing), office=office, reason="Unanswered complaints", until=until
        )
    accepts, reason = services.office_accepts_requests(office)
    assert not accepts and "suspended this office until" in reason
    assert services.office_accepts_requests(office, on=until + dt.timedelta(days=1))[0]
    assert Notification.objects.get(recipient=manager, event="office_sanctioned")

    with pytest.raises(ValidationError):
        services.office_suspend(actor=actor(licensing), office=office, reason="Again")

    with django_capture_on_commit_callbacks(execute=True):
        lifted = services.office_reinstate(
            actor=actor(licensing), office=office, reason="Complaints answered"
        )
    assert [sanction.lift_reason for sanction in lifted] == ["Complaints answered"]
    assert services.office_accepts_requests(office) == (True, "")
    assert Notification.objects.filter(recipient=manager, event="office_reinstated").exists()
    with pytest.raises(ValidationError):
        services.office_reinstate(actor=actor(licensing), office=office, reason="Nothing to lift")


def test_sanction_rules(office, licensing):
    complaints = ministry_officer(Role.COMPLAINTS)
    warning = services.sanction_apply(
        actor=actor(complaints), office=office, kind="warning", reason="Late answer"
    )
    assert warning.decided_by == complaints and services.office_accepts_requests(office)[0]

    for kwargs in (
        {"kind": "fine", "reason": "x"},
        {"kind": "warning", "reason": "  "},
        {"kind": "warning", "reason": "x", "until": timezone.localdate() - dt.timedelta(days=1)},
    ):
        with pytest.raises(ValidationError):
            services.sanction_apply(actor=actor(licensing), office=office, **kwargs)
    for role in (Role.VISA_REVIEW, Role.OFFICE_MANAGER):
        with pytest.raises(PermissionDenied):
            services.sanction_apply(
                actor=actor(UserFactory(roles=[role])), office=office, kind="warning", reason="x"
            )
    with pytest.raises(PermissionDenied):
        services.office_suspend(
            actor=actor(complaints), office=office, reason="only licensing suspends directly"
        )
    assert Sanction.objects.count() == 1


def test_a_suspension_ending_or_lifted_no_longer_counts():
    today = timezone.localdate()
    ended = SanctionFactory(ends_on=today - dt.timedelta(days=1), starts_on=today - dt.timedelta(days=10))
    lifted = SanctionFactory(lifted_at=timezone.now())
    warned = SanctionFactory(kind="warning")
    for sanction in (ended, lifted, warned):
        assert services.office_accepts_requests(sanction.office)[0]


def test_a_corrected_number_is_checked_again_before_the_office_takes_requests(
    django_capture_on_commit_callbacks,
):
    office = OfficeFactory(cr_number="4030111221")
    office.cr_number = "4030111223"
    superuser = UserFactory(roles=[], is_staff=True, is_superuser=True)
    with django_capture_on_commit_callbacks() as callbacks:
        services.office_save(actor=actor(superuser), office=office)
    office.refresh_from_db()
    assert "not been confirmed yet" in services.office_accepts_requests(office)[1]
    for callback in callbacks:
        callback()
    office.refresh_from_db()
    assert services.office_accepts_requests(office) == (True, "")
