"""Reads of the office area: which office a person works for, and its people."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Office, OfficeMembership


def membership_of(user) -> OfficeMembership | None:
    """The person's place in an office (None for anyone who does not work for one)."""
    if not user.is_authenticated:
        return None
    return OfficeMembership.objects.select_related("office").filter(user=user).first()


def office_staff(office: Office) -> QuerySet[OfficeMembership]:
    return office.memberships.select_related("user").order_by("role", "user__email")
