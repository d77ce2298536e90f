"""The inbox page: only one's own notifications, marked read only by their recipient."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from musaned.accounts.models import AuditEvent
from musaned.notifications.context_processors import unread_notifications
from musaned.notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INBOX = reverse("notifications:inbox")


def _notification(recipient, title="Your identity is confirmed", **extra):
    return Notification.objects.create(
        recipient=recipient, event="identity_confirmed", title=title, body="…", **extra
    )


@pytest.fixture
def person(client):
    user = UserFactory(preferred_language="en")
    client.force_login(user)
    return user


def test_the_inbox_shows_only_my_notifications(client, person):
    _notification(person, title="Mine")
    _notification(UserFactory(), title="Someone else's")

    response = client.get(INBOX)

    assert response.status_code == 200
    assert "Mine" in response.text
    assert "Someone else" not in response.text


def test_an_empty_inbox_says_so_in_arabic_by_default(client, person):
    response = client.get(INBOX)
    assert response.headers["Content-Language"] == "ar"
    assert 'dir="rtl"' in response.text


def test_the_inbox_needs_a_sign_in(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and reverse("account_login") in response.url


def test_the_inbox_costs_the_same_few_queries_however_full(client, person, django_assert_max_num_queries):
    _notification(person)
    with CaptureQueriesContext(connection) as one_notification:
        client.get(INBOX)
    Notification.objects.bulk_create(
        Notification(recipient=person, event="identity_confirmed", title=f"N{i}", body="…") for i in range(44)
    )
    with django_assert_max_num_queries(len(one_notification)):
        response = client.get(INBOX)
    assert response.text.count('class="card"') == 20
    assert client.get(INBOX, {"page": 3}).text.count('class="card"') == 5


def test_marking_read(client, person):
    notification = _notification(person)

    response = client.post(reverse("notifications:mark_read", args=[notification.pk]))

    assert response.status_code == 302 and response.url == INBOX
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert AuditEvent.objects.filter(action="notification_read", actor=person).count() == 1


def test_opening_goes_to_the_linked_page_on_this_site_only(client, person):
    local = _notification(person, url="/household/")
    absolute = _notification(person, url="http://127.0.0.1:8000/household/")
    elsewhere = _notification(person, url="https://evil.example/phish")

    def open_(notification):
        return client.post(reverse("notifications:mark_read", args=[notification.pk]), {"open": "1"}).url

    assert open_(local) == "/household/"
    assert open_(absolute) == "http://127.0.0.1:8000/household/"
    assert open_(elsewhere) == INBOX


def test_someone_elses_notification_cannot_be_touched(client, person):
    theirs = _notification(UserFactory())

    response = client.post(reverse("notifications:mark_read", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_is_a_post(client, person):
    notification = _notification(person)
    assert client.get(reverse("notifications:mark_read", args=[notification.pk])).status_code == 405


def test_mark_all_read_touches_only_mine(client, person):
    mine, theirs = _notification(person), _notification(UserFactory())
    _notification(person)

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Mark all as read" in client.get(INBOX).text
    client.post(reverse("notifications:mark_all_read"))

    assert not Notification.objects.filter(recipient=person, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.read_at is None and mine.read_at is not None


def test_the_unread_count_for_page_headers(person):
    _notification(person)
    _notification(person)
    _notification(UserFactory())
    request = RequestFactory().get("/")
    request.user = person

    assert unread_notifications(request)["unread_notifications"]() == 2
