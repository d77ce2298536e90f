"""The fake passports service's bulk feed: any size, the same every time, about as many changes as asked."""

import datetime as dt

import pytest

from musaned.integrations.base import GatewayError
from musaned.integrations.fakes import FakePassportsGateway
from musaned.registry.parsing import parse_feed_row

from .conftest import DAY, NEXT_DAY, nation


def lines(gateway, run_date=DAY, **kwargs):
    return list(gateway.bulk_feed(run_date=run_date, **kwargs))


def test_the_same_seed_size_and_day_give_the_same_file():
    assert lines(nation()) == lines(nation())
    assert lines(nation()) != lines(nation(seed=12))
    assert len(lines(nation(feed_size=2_500))) == 2_500


def test_every_line_is_a_valid_record_of_a_distinct_worker():
    rows = [parse_feed_row(line, latest=DAY) for line in lines(nation(feed_size=3_000))]
    assert len({row.passport_number for row in rows}) == len({row.iqama_number for row in rows}) == 3_000
    assert {row.status for row in rows} == {"abroad", "arrived", "exited", "absent", "imprisoned", "deceased"}


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.2, 1.0])
def test_about_the_asked_fraction_changes_from_one_day_to_the_next(fraction):
    gateway = nation(feed_size=4_000, changed_fraction=fraction)
    changed = sum(a != b for a, b in zip(lines(gateway), lines(gateway, NEXT_DAY), strict=True))
    assert abs(changed / 4_000 - fraction) <= 0.02 + fraction * 0.15


def test_a_change_is_dated_the_day_it_happened():
    gateway = nation(feed_size=2_000)
    for before, after in zip(lines(gateway), lines(gateway, NEXT_DAY), strict=True):
        if before != after:
            assert after.endswith(NEXT_DAY.isoformat())


def test_skipping_gives_the_rest_of_the_same_file():
    whole = lines(nation(feed_size=3_000))
    assert lines(nation(feed_size=3_000), skip=1_500) == whole[1_500:]
    assert lines(nation(feed_size=3_000), skip=5_000) == []


def test_the_connection_drops_once_where_asked():
    gateway = nation(feed_size=100, break_after=40)
    stream = gateway.bulk_feed(run_date=DAY)
    got = [next(stream) for _ in range(40)]
    with pytest.raises(GatewayError):
        next(stream)
    assert got + lines(gateway, skip=40) == lines(nation(feed_size=100))


def test_the_defaults_come_from_settings(settings):
    settings.PASSPORTS_FAKE_FEED_SIZE = 7
    assert len(lines(FakePassportsGateway())) == 7
    with pytest.raises(Exception, match="between 0 and 1"):
        FakePassportsGateway(changed_fraction=1.5)
    later = dt.date(2030, 1, 1)
    assert all(parse_feed_row(line, latest=later) for line in lines(FakePassportsGateway(), later))
