"""Reading one feed line: the exact format quickly, anything else field by field with the reason."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from households.validators import national_id_checksum_ok
from musaned.registry.parsing import FeedRow, RowRejected, _parse_fields, iqama_number_ok, parse_feed_row

LATEST = dt.date(2026, 5, 1)
GOOD = "P1234567,2001047295,arrived,2026-04-22"


def reason(line):
    with pytest.raises(RowRejected) as rejected:
        parse_feed_row(line, latest=LATEST)
    return rejected.value.reason


def test_a_line_in_the_service_s_format():
    assert parse_feed_row(GOOD, latest=LATEST) == FeedRow(
        "P1234567", "2001047295", "arrived", dt.date(2026, 4, 22)
    )


def test_spaces_and_case_are_forgiven():
    line = " p1234567 , 2001047295 ,ARRIVED, 2026-04-22\r"
    assert parse_feed_row(line, latest=LATEST) == parse_feed_row(GOOD, latest=LATEST)


def test_a_worker_still_abroad_may_have_no_iqama_number_or_date():
    assert parse_feed_row("P1234567,,abroad,", latest=LATEST) == FeedRow("P1234567", "", "abroad", None)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("P1234567,2001047295,arrived", "field_count"),
        ("P1234567,2001047295,arrived,2026-04-22,extra", "field_count"),
        ("", "field_count"),
        ("P-1234567,2001047295,arrived,2026-04-22", "passport_number"),
        ("P12,2001047295,arrived,2026-04-22", "passport_number"),
        ("P1234567,2001047296,arrived,2026-04-22", "iqama_number"),
        ("P1234567,1001047295,arrived,2026-04-22", "iqama_number"),
        ("P1234567,200104729,arrived,2026-04-22", "iqama_number"),
        ("P1234567,2001047295,departed,2026-04-22", "status"),
        ("P1234567,2001047295,arrived,", "date_missing"),
        ("P1234567,2001047295,arrived,2026-02-30", "date"),
        ("P1234567,2001047295,arrived,20260422", "date"),
        ("P1234567,2001047295,arrived,2026-W17-3", "date"),
        ("P1234567,2001047295,arrived,2026-05-02", "date_ahead"),
    ],
)
def test_each_fault_is_named(line, expected):
    assert reason(line) == expected


passports = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=5, max_size=20)
iqamas = st.integers(min_value=200_000_000, max_value=299_999_999).map(
    lambda body: next(f"{body}{check}" for check in range(10) if national_id_checksum_ok(f"{body}{check}"))
)
statuses = st.sampled_from(["abroad", "arrived", "exited", "absent", "imprisoned", "deceased"])
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2026, 6, 30))


@given(passports, st.one_of(st.just(""), iqamas), statuses, dates)
def test_the_quick_reading_agrees_with_the_careful_one(passport, iqama, status, date):
    line = f"{passport},{iqama},{status},{date.isoformat()}"
    try:
        careful = _parse_fields(line.split(","), LATEST)
    except RowRejected as rejected:
        assert reason(line) == rejected.reason
    else:
        assert parse_feed_row(line, latest=LATEST) == careful


@given(st.text("0123456789", min_size=10, max_size=10).map(lambda digits: "2" + digits[1:]))
def test_the_iqama_check_is_the_national_id_check(number):
    assert iqama_number_ok(number) == national_id_checksum_ok(number)
