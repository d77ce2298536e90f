from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "musaned.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from allauth.account.decorators import secure_admin_login
        from django.contrib import admin

        from . import receivers  # noqa: F401

        # One sign-in for everyone: the admin's own login form would bypass lock-out and the second factor.
        admin.site.login = secure_admin_login(admin.site.login)
