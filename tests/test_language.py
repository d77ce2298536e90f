"""Arabic first, English one click away; the choice also sets the language of a person's messages."""

import pytest
from django.urls import reverse

from musaned.accounts.roles import Role
from tests.factories import UserFactory


@pytest.mark.django_db
def test_arabic_is_the_default_whatever_the_browser_says(client):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "ar"
    assert 'dir="rtl"' in response.content.decode()


@pytest.mark.django_db
def test_switching_to_english_sets_the_page_and_the_persons_messages(client):
    user = UserFactory(roles=[Role.HOUSEHOLD])
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    assert response["Content-Language"] == "en"
    assert 'dir="ltr"' in response.content.decode()
    user.refresh_from_db()
    assert user.preferred_language == "en"


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing(client):
    user = UserFactory(roles=[Role.HOUSEHOLD])
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "ar"
    assert client.get(reverse("home"), follow=True)["Content-Language"] == "ar"
