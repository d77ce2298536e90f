from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.models import Group
from django.utils import translation

from .emails import subject_line
from .roles import Role


class AccountAdapter(DefaultAccountAdapter):
    """Public sign-up is for households; staff accounts are created by their office or the ministry."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.preferred_language = translation.get_language() or "ar"
        if commit:
            user.save()
            user.groups.add(Group.objects.get(name=Role.HOUSEHOLD))
        return user

    def format_email_subject(self, subject: str) -> str:
        """The platform's name, not the host name allauth would take from the request."""
        return subject_line(subject)
