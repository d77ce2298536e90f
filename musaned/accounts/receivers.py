"""Keeps role groups in step with roles.py and writes sign-ins into the activity trail."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from .actor import Actor
from .middleware import client_ip
from .services import audit_record


@receiver(post_migrate)
def sync_role_groups(sender, **kwargs):
    from django.contrib.auth.models import Group, Permission

    from .roles import ROLE_PERMISSIONS, Role

    if sender.label != "accounts":
        return
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for dotted in ROLE_PERMISSIONS.get(role, []):
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)


def _actor(request, user) -> Actor:
    return Actor.direct(
        user,
        ip_address=client_ip(request) if request else None,
        user_agent=request.META.get("HTTP_USER_AGENT", "") if request else "",
    )


@receiver(user_logged_in)
def record_sign_in(sender, request, user, **kwargs):
    audit_record(action="signed_in", actor=_actor(request, user), target=user)


@receiver(user_logged_out)
def record_sign_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action="signed_out", actor=_actor(request, user), target=user)


@receiver(user_login_failed)
def record_failed_sign_in(sender, credentials, request=None, **kwargs):
    from .models import User

    login = (credentials or {}).get("email") or (credentials or {}).get("username") or ""
    user = User.objects.filter(email__iexact=login).first() if login else None
    if user is not None:
        audit_record(action="sign_in_failed", actor=_actor(request, user), target=user)
