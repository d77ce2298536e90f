import pytest
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command

from households.models import Household
from musaned.accounts.models import User
from recruitment.management.commands.demo_seed import DEMO_PASSWORD, DEMO_TOTP_SECRET
from recruitment.models import Office, OfficeMembership
from tests.accounts.support import sign_in, signed_in_user_id, totp_code

pytestmark = pytest.mark.django_db


def test_demo_seed_runs_twice_and_its_accounts_work(client, capsys, settings):
    settings.DEBUG = False
    call_command("demo_seed", "--force")
    counts = (
        User.objects.count(),
        Household.objects.count(),
        Office.objects.count(),
        Authenticator.objects.count(),
    )
    call_command("demo_seed", "--force")
    assert counts == (
        User.objects.count(),
        Household.objects.count(),
        Office.objects.count(),
        Authenticator.objects.count(),
    )
    output = capsys.readouterr().out
    assert DEMO_PASSWORD in output and DEMO_TOTP_SECRET in output

    household = Household.objects.get(user__email="household@demo.musaned.sa")
    assert household.identity_confirmed and household.monthly_income == 12000
    assert household.income_proofs.count() == 1
    assert not Household.objects.get(user__email="household2@demo.musaned.sa").identity_confirmed
    assert OfficeMembership.objects.count() == 2
    assert User.objects.filter(is_superuser=True).exists()

    sign_in(client, "manager@demo.musaned.sa", DEMO_PASSWORD)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(DEMO_TOTP_SECRET)})
    assert signed_in_user_id(client) == str(User.objects.get(email="manager@demo.musaned.sa").pk)


def test_demo_seed_refuses_without_debug_or_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_seed")
    assert not User.objects.exists()
