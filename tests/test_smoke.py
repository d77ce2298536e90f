import pytest

from households.validators import national_id_checksum_ok
from tests.factories import HouseholdFactory, national_id


def test_factory_ids_are_valid():
    assert all(national_id_checksum_ok(national_id()) for _ in range(50))


@pytest.mark.django_db
def test_household_factory_builds_a_confirmed_household():
    household = HouseholdFactory()
    assert household.identity_confirmed
    assert household.user.is_household
