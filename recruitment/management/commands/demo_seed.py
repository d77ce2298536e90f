"""Demo accounts for every role, safe to run again and again (`make demo` runs it each time).

Staff who must use a second factor get the same TOTP secret, printed at the end, so people trying
the demo can add it to an authenticator app once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from households.models import Household, IdentityStatus, IncomeProof, MaritalStatus, ProofKind
from households.validators import national_id_checksum_ok
from musaned.accounts.models import User
from musaned.accounts.roles import Role
from musaned.policy.models import Residency
from recruitment.models import Office, OfficeMembership, OfficeRole
from recruitment.offices_tasks import office_check_commercial_registration

DEMO_PASSWORD = "Musaned-Demo-2026!"
DEMO_TOTP_SECRET = "MUSANEDDEMOTOTPSECRETKEY23456777"
PROOF_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PROOF_FRESH_DAYS = 30


@dataclass(frozen=True)
class DemoAccount:
    email: str
    first_name: str
    last_name: str
    role_label: str
    roles: tuple[str, ...] = ()
    superuser: bool = False


ADMIN = DemoAccount("admin@demo.musaned.sa", "Site", "Admin", "Administrator", superuser=True)
HOUSEHOLD = DemoAccount("household@demo.musaned.sa", "Mohammed", "Alqahtani", "Household", (Role.HOUSEHOLD,))
HOUSEHOLD_PENDING = DemoAccount(
    "household2@demo.musaned.sa", "Sara", "Alharbi", "Household (identity pending)", (Role.HOUSEHOLD,)
)
OFFICE_MANAGER = DemoAccount(
    "manager@demo.musaned.sa", "Khalid", "Alotaibi", "Office manager", (Role.OFFICE_MANAGER,)
)
OFFICE_STAFF = DemoAccount("staff@demo.musaned.sa", "Noura", "Alshehri", "Office staff", (Role.OFFICE_STAFF,))
MINISTRY = (
    DemoAccount("visa@demo.musaned.sa", "Fahad", "Aldossari", "Ministry: visa review", (Role.VISA_REVIEW,)),
    DemoAccount("complaints@demo.musaned.sa", "Reem", "Alanazi", "Ministry: complaints", (Role.COMPLAINTS,)),
    DemoAccount("licensing@demo.musaned.sa", "Turki", "Almutairi", "Ministry: licensing", (Role.LICENSING,)),
    DemoAccount(
        "supervisor@demo.musaned.sa", "Hind", "Alzahrani", "Ministry: supervisors", (Role.SUPERVISORS,)
    ),
)


def valid_national_id(first_nine: str) -> str:
    """Complete nine digits with the check digit the identity rules require."""
    return next(first_nine + str(d) for d in range(10) if national_id_checksum_ok(first_nine + str(d)))


class Command(BaseCommand):
    help = "Create or refresh the demo accounts (admin, households, an office, ministry officers)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even though DEBUG is off (never on a real database)."
        )

    def handle(self, *args, force: bool = False, **options):
        if not (settings.DEBUG or force):
            raise CommandError(
                "demo_seed creates accounts with published passwords. It runs only with DEBUG on, "
                "or with --force on a database you are sure is a demo."
            )
        with transaction.atomic():
            rows = self.seed()
        self.print_table(rows)

    def seed(self) -> list[tuple[DemoAccount, User, list[str] | None]]:
        rows = []
        for spec in (ADMIN, HOUSEHOLD, HOUSEHOLD_PENDING, OFFICE_MANAGER, OFFICE_STAFF, *MINISTRY):
            user = self.account(spec)
            codes = self.second_factor(user) if user.requires_second_factor else None
            rows.append((spec, user, codes))
        self.household(
            User.objects.get(email=HOUSEHOLD.email),
            national_id=valid_national_id("105823746"),
            mobile="+966501234567",
            confirmed=True,
        )
        self.household(
            User.objects.get(email=HOUSEHOLD_PENDING.email),
            national_id=valid_national_id("108472615"),
            mobile="+966551234567",
            confirmed=False,
        )
        self.office()
        return rows

    def account(self, spec: DemoAccount) -> User:
        user, _created = User.objects.get_or_create(
            email=spec.email, defaults={"first_name": spec.first_name, "last_name": spec.last_name}
        )
        user.is_superuser = user.is_staff = spec.superuser
        user.is_active = True
        user.locked_at = None
        user.lock_reason = ""
        if not user.check_password(DEMO_PASSWORD):  # keep sessions alive when nothing changed
            user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.set(Group.objects.filter(name__in=spec.roles))
        EmailAddress.objects.update_or_create(
            user=user, email=spec.email, defaults={"verified": True, "primary": True}
        )
        return User.objects.get(pk=user.pk)

    def second_factor(self, user: User) -> list[str]:
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is None:
            TOTP.activate(user, DEMO_TOTP_SECRET)
        elif decrypt(totp.data["secret"]) != DEMO_TOTP_SECRET:
            totp.delete()
            TOTP.activate(user, DEMO_TOTP_SECRET)
        return RecoveryCodes.activate(user).get_unused_codes()

    def household(self, user: User, *, national_id: str, mobile: str, confirmed: bool) -> None:
        household = Household.objects.filter(user=user).first()
        if household is None:
            household = Household.objects.create(
                user=user,
                national_id=national_id,
                residency=Residency.CITIZEN,
                name_ar="محمد عبدالله القحطاني" if confirmed else "سارة فهد الحربي",
                name_en="Mohammed Abdullah Alqahtani" if confirmed else "Sara Fahad Alharbi",
                date_of_birth=dt.date(1984, 5, 20) if confirmed else dt.date(1990, 11, 2),
                marital_status=MaritalStatus.MARRIED,
                mobile=mobile,
                mobile_verified_at=timezone.now(),
                city="الرياض",
                building_number="2461",
                street="طريق الملك فهد",
                district="العليا",
                address_city="الرياض",
                postal_code="12214",
                additional_number="7093",
                monthly_income=Decimal("12000.00") if confirmed else None,
                identity_status=IdentityStatus.CONFIRMED if confirmed else IdentityStatus.PENDING,
                identity_checked_at=timezone.now() if confirmed else None,
            )
        if not confirmed:
            return
        cutoff = timezone.localdate() - dt.timedelta(days=PROOF_FRESH_DAYS)
        if not household.income_proofs.filter(issued_on__gte=cutoff).exists():
            IncomeProof.objects.create(
                household=household,
                kind=ProofKind.SALARY_CERTIFICATE,
                issued_on=timezone.localdate() - dt.timedelta(days=3),
                file=ContentFile(PROOF_PDF, name="salary-certificate.pdf"),
                original_name="salary-certificate.pdf",
                content_type="application/pdf",
                size=len(PROOF_PDF),
                sha256=hashlib.sha256(PROOF_PDF).hexdigest(),
                uploaded_by=user,
            )

    def office(self) -> None:
        office, _created = Office.objects.update_or_create(
            cr_number="1010123456",
            defaults={
                "name_ar": "مكتب النخيل للاستقدام",
                "name_en": "Al Nakheel Recruitment Office",
                "licence_number": "RL-2024-0147",
                "licence_valid_until": timezone.localdate() + dt.timedelta(days=365),
                "bank_guarantee_amount": Decimal("500000.00"),
                "city": "الرياض",
                "phone": "+966112345678",
                "email": "info@alnakheel.example.sa",
                "active": True,
            },
        )
        office_check_commercial_registration.apply(kwargs={"office_id": office.pk})  # confirms the CR
        for spec, role in ((OFFICE_MANAGER, OfficeRole.MANAGER), (OFFICE_STAFF, OfficeRole.STAFF)):
            OfficeMembership.objects.update_or_create(
                user=User.objects.get(email=spec.email), defaults={"office": office, "role": role}
            )

    def print_table(self, rows: list[tuple[DemoAccount, User, list[str] | None]]) -> None:
        width = max(len(spec.email) for spec, _user, _codes in rows)
        self.stdout.write(self.style.SUCCESS("Demo accounts (every one signs in with its e-mail address):"))
        self.stdout.write(f"{'role':<30} {'e-mail':<{width}} {'password':<20} second factor")
        for spec, _user, codes in rows:
            factor = "TOTP (demo secret)" if codes is not None else "-"
            self.stdout.write(f"{spec.role_label:<30} {spec.email:<{width}} {DEMO_PASSWORD:<20} {factor}")
        self.stdout.write("")
        self.stdout.write(f"TOTP secret for every account marked TOTP: {DEMO_TOTP_SECRET}")
        self.stdout.write("Add it to an authenticator app, then enter its 6-digit code after the password.")
        self.stdout.write("Recovery codes (each works once, if the authenticator app is not at hand):")
        for spec, _user, codes in rows:
            if codes:
                self.stdout.write(f"  {spec.email}: {' '.join(codes)}")
