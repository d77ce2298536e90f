import pytest

from musaned.accounts.models import User
from tests.factories import with_second_factor


@pytest.fixture
def rules_admin(db):
    """A superuser who has set up the second factor the platform demands of staff."""
    user = User.objects.create_superuser(email="rules-admin@example.sa", password="Strong-pass-2026!")
    with_second_factor(user)
    return user


@pytest.fixture
def admin_browser(client, rules_admin):
    client.force_login(rules_admin)
    client.cookies["django_language"] = "en"  # the assertions read the English wording
    return client
