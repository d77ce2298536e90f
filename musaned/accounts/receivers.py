"""Keeps role groups in step with roles.py and writes sign-ins into the activity trail."""

from allauth.account.signals import password_changed, password_reset
from allauth.mfa.signals import authentication_failed as mfa_authentication_failed
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.apps import apps
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

    # After the last app: by then every app's permissions exist, whatever order they were created in.
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender.label != with_models[-1].label:
        return
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for dotted in ROLE_PERMISSIONS.get(role, []):
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
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


@receiver(password_changed)
def record_password_changed(sender, request, user, **kwargs):
    audit_record(action="password_changed", actor=_actor(request, user), target=user)


@receiver(password_reset)
def record_password_reset(sender, request, user, **kwargs):
    """A new password chosen through the e-mailed link also lifts a sign-in lock-out on the address."""
    from axes.utils import reset as axes_reset

    axes_reset(username=user.email)
    audit_record(action="password_reset", actor=_actor(request, user), target=user)


@receiver(authenticator_added)
def record_second_factor_added(sender, request, user, authenticator, **kwargs):
    audit_record(
        action="second_factor_added",
        actor=_actor(request, user),
        target=user,
        changes={"type": authenticator.type},
    )


@receiver(authenticator_removed)
def record_second_factor_removed(sender, request, user, authenticator, **kwargs):
    audit_record(
        action="second_factor_removed",
        actor=_actor(request, user),
        target=user,
        changes={"type": authenticator.type},
    )


@receiver(mfa_authentication_failed)
def record_second_factor_failed(sender, request, user, **kwargs):
    """The password was right but the code was not: worth seeing on the activity page."""
    audit_record(action="second_factor_failed", actor=_actor(request, user), target=user)
