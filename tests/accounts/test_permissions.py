"""Who may open which page of the account, ministry and office areas (GET, every role)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from musaned.accounts.roles import Role
from recruitment.models import OfficeRole
from tests.accounts.support import with_totp
from tests.factories import OfficeFactory, OfficeMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404
PEOPLE = (
    "anonymous",
    "household",
    "manager",
    "other_manager",
    "other_staff",
    "visa",
    "complaints",
    "licensing",
    "supervisor",
)

# page -> expected status for each person, in the order of PEOPLE
MATRIX = {
    "accounts:security": (REDIRECT, OK, OK, OK, OK, OK, OK, OK, OK),
    "accounts:activity": (REDIRECT, OK, OK, OK, OK, OK, OK, OK, OK),
    "accounts:delegations": (REDIRECT, OK, OK, OK, OK, OK, OK, OK, OK),
    "accounts:delegation_grant": (
        REDIRECT, OK, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN,
    ),
    "accounts:report_compromised": (REDIRECT, OK, OK, OK, OK, OK, OK, OK, OK),
    "accounts:compromised_done": (OK, OK, OK, OK, OK, OK, OK, OK, OK),
    "ministry:home": (REDIRECT, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK),
    "ministry:security_alerts": (
        REDIRECT, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,
    ),
    "ministry:unlock": (
        REDIRECT, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,
    ),
    "recruitment:office_home": (
        REDIRECT, FORBIDDEN, OK, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN,
    ),
    "recruitment:staff_add": (
        REDIRECT, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN,
    ),
    # a staff member of the first office: only its own manager may open the removal page
    "recruitment:staff_remove": (
        REDIRECT, FORBIDDEN, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN,
    ),
}  # fmt: skip


@pytest.fixture
def world():
    office, other_office = OfficeFactory(), OfficeFactory()
    staff = OfficeMembershipFactory(
        office=office, role=OfficeRole.STAFF, user=UserFactory(roles=[Role.OFFICE_STAFF])
    )
    locked = UserFactory(roles=[Role.HOUSEHOLD], is_active=False, locked_at=timezone.now())
    people = {
        "anonymous": None,
        "household": UserFactory(roles=[Role.HOUSEHOLD]),
        "manager": OfficeMembershipFactory(office=office).user,
        "other_manager": OfficeMembershipFactory(office=other_office).user,
        "other_staff": OfficeMembershipFactory(
            office=other_office, role=OfficeRole.STAFF, user=UserFactory(roles=[Role.OFFICE_STAFF])
        ).user,
        "visa": UserFactory(roles=[Role.VISA_REVIEW]),
        "complaints": UserFactory(roles=[Role.COMPLAINTS]),
        "licensing": UserFactory(roles=[Role.LICENSING]),
        "supervisor": UserFactory(roles=[Role.SUPERVISORS]),
    }
    for user in people.values():
        if user is not None and user.requires_second_factor:
            with_totp(user)
    args = {"ministry:unlock": [locked.pk], "recruitment:staff_remove": [staff.pk]}
    return people, args


@pytest.mark.parametrize("page", MATRIX)
def test_permission_matrix(client, world, page):
    people, args = world
    expected = dict(zip(PEOPLE, MATRIX[page], strict=True))
    url = reverse(page, args=args.get(page, []))
    seen = {}
    for name, user in people.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        seen[name] = response.status_code
        if name == "anonymous" and response.status_code == REDIRECT:
            assert response.url.startswith(reverse("account_login"))
    assert seen == expected
