from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from musaned.dates import (
    FIRST_DATE,
    FIRST_HIJRI,
    LAST_DATE,
    LAST_HIJRI,
    HijriDate,
    format_both,
    from_hijri,
    hijri_month_length,
    parse_numeric_date,
    to_hijri,
)
from musaned.forms import HIJRI, DualCalendarDateField


def test_known_umm_al_qura_days():
    assert from_hijri(1445, 9, 1) == date(2024, 3, 11)  # 1 Ramadan 1445
    assert to_hijri(date(2024, 7, 7)) == HijriDate(1446, 1, 1)
    assert to_hijri(date(1984, 12, 4)).isoformat() == "1405-03-12"


def test_format_both_puts_hijri_first_in_each_language():
    day = date(1984, 12, 4)
    assert format_both(day, "ar") == "12 ربيع الأول 1405 هـ — 4 ديسمبر 1984"
    assert format_both(day, "en") == "12 Rabi' al-Awwal 1405 AH (4 December 1984)"
    with translation.override("en"):
        assert format_both(date(2024, 3, 11)) == "1 Ramadan 1445 AH (11 March 2024)"
    assert format_both(date(1900, 1, 1), "en") == "1 January 1900"  # before the Umm al-Qura tables


def test_an_aware_datetime_is_read_in_riyadh_time():
    late_evening_utc = datetime(2024, 3, 10, 22, 30, tzinfo=ZoneInfo("UTC"))  # 01:30 on 11 March in Riyadh
    assert to_hijri(late_evening_utc) == HijriDate(1445, 9, 1)


@pytest.mark.parametrize(
    ("year", "month", "day", "message"),
    [
        (1445, 1, 30, "has 29 days: there is no day 30"),
        (1445, 13, 1, "A Hijri month is a number from 1 to 12."),
        (1342, 12, 1, "Hijri dates can be used from"),
        (1501, 1, 1, "Hijri dates can be used from"),
        (1445, 5, 0, "there is no day 0"),
    ],
)
def test_impossible_hijri_dates_are_refused_clearly(year, month, day, message):
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        from_hijri(year, month, day)
    assert message in raised.value.messages[0]


def test_days_outside_the_tables_have_no_hijri_date():
    with pytest.raises(ValidationError):
        to_hijri(date(1924, 7, 31))


@given(st.dates(min_value=FIRST_DATE, max_value=LAST_DATE))
def test_gregorian_hijri_round_trip(day):
    assert from_hijri(*to_hijri(day)) == day


@given(
    st.integers(min_value=FIRST_HIJRI[0], max_value=LAST_HIJRI[0])
    .flatmap(lambda year: st.tuples(st.just(year), st.integers(1, 12)))
    .flatmap(lambda ym: st.tuples(st.just(ym[0]), st.just(ym[1]), st.integers(1, hijri_month_length(*ym))))
)
def test_hijri_gregorian_round_trip(hijri):
    assert to_hijri(from_hijri(*hijri)) == hijri


@pytest.mark.parametrize(
    "text",
    [
        "1984-12-04",
        "1984/12/4",
        "04/12/1984",
        "4-12-1984",
        "١٩٨٤-١٢-٠٤",
        "٠٤/١٢/١٩٨٤",
        "۱۹۸۴/۱۲/۰۴",
        " 04.12.1984 ",
    ],
)
def test_typed_dates_in_any_digits(text):
    assert parse_numeric_date(text) == (1984, 12, 4)


def test_template_filters_follow_the_page_language():
    template = Template("{% load calendars %}{{ day|both_calendars }}|{{ day|hijri }}|{{ missing|hijri }}")
    context = Context({"day": date(2024, 3, 11), "missing": None})
    with translation.override("ar"):
        assert template.render(context) == "1 رمضان 1445 هـ — 11 مارس 2024|1 رمضان 1445 هـ|"
    with translation.override("en"):
        assert template.render(context) == "1 Ramadan 1445 AH (11 March 2024)|1 Ramadan 1445 AH|"


class BirthForm(forms.Form):
    born = DualCalendarDateField(label="Date of birth")
    expires = DualCalendarDateField(label="Expiry", required=False, default_calendar=HIJRI)


def clean_born(calendar: str, text: str):
    form = BirthForm(data={"born_calendar": calendar, "born": text, "expires_calendar": HIJRI, "expires": ""})
    with translation.override("en"):
        valid = form.is_valid()
        return (
            (form.cleaned_data["born"], form.cleaned_data["expires"]) if valid else list(form.errors["born"])
        )


@pytest.mark.parametrize(
    ("calendar", "text"),
    [
        ("gregorian", "1984-12-04"),
        ("gregorian", "04/12/1984"),
        ("gregorian", "١٩٨٤-١٢-٠٤"),
        ("hijri", "1405-03-12"),
        ("hijri", "١٤٠٥/٠٣/١٢"),
        ("hijri", "12/03/1405"),
    ],
)
def test_field_accepts_both_calendars_and_arabic_digits(calendar, text):
    assert clean_born(calendar, text) == (date(1984, 12, 4), None)


@pytest.mark.parametrize(
    ("calendar", "text", "message"),
    [
        ("hijri", "1445-01-30", "Muharram 1445 has 29 days: there is no day 30."),
        ("gregorian", "2023-02-29", "This day does not exist in the Gregorian calendar"),
        ("gregorian", "1405-03-12", "1405 looks like a Hijri year: choose the Hijri calendar."),
        ("hijri", "1984-12-04", "1984 looks like a Gregorian year: choose the Gregorian calendar."),
        ("gregorian", "12-2024", "Write the date as year-month-day"),
        ("gregorian", "", "This field is required."),
        ("julian", "1984-12-04", "Select a valid choice."),
    ],
)
def test_field_rejects_bad_dates_with_a_clear_message(calendar, text, message):
    errors = clean_born(calendar, text)
    assert any(message in error for error in errors), errors


def test_widget_renders_a_calendar_choice_and_a_left_to_right_date_box():
    with translation.override("ar"):
        html = str(BirthForm(initial={"expires": date(2024, 3, 11)})["expires"])
    assert 'name="expires_calendar"' in html and 'name="expires"' in html
    assert '<option value="hijri" selected>' in html
    assert 'value="1445-09-01"' in html  # shown in the field's default calendar
    assert 'dir="ltr"' in html
    assert 'aria-label="التقويم"' in html  # labelled in the page's language
