"""Roles are Django groups; what each may do is the permissions listed here.

Groups and their permissions are synchronised after every migration, so a new
permission reaches every role by editing this one table.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    OFFICE_MANAGER = "office_manager", _("Recruitment office manager")
    OFFICE_STAFF = "office_staff", _("Recruitment office staff")
    VISA_REVIEW = "ministry_visa_review", _("Ministry: visa review")
    COMPLAINTS = "ministry_complaints", _("Ministry: complaints")
    LICENSING = "ministry_licensing", _("Ministry: office licensing")
    SUPERVISORS = "ministry_supervisors", _("Ministry: supervisors")


OFFICE_ROLES = frozenset({Role.OFFICE_MANAGER, Role.OFFICE_STAFF})
MINISTRY_ROLES = frozenset({Role.VISA_REVIEW, Role.COMPLAINTS, Role.LICENSING, Role.SUPERVISORS})

# "app_label.codename" for each role; the codenames are declared in the models' Meta.permissions.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.HOUSEHOLD: ["households.manage_own_household"],
    Role.OFFICE_MANAGER: ["accounts.grant_delegation", "recruitment.work_requests"],
    Role.OFFICE_STAFF: ["recruitment.work_requests"],
    Role.VISA_REVIEW: [
        "households.view_any_household",
        "households.download_any_proof",
        "visas.review_visa",
        "visas.view_visaprocess",
    ],
    Role.COMPLAINTS: [
        "households.view_any_household",
        "households.handle_employment_flags",
        "recruitment.decide_complaints",
    ],
    Role.LICENSING: ["recruitment.license_offices"],
    Role.SUPERVISORS: [
        "households.view_any_household",
        "households.download_any_proof",
        "households.handle_employment_flags",
        "accounts.view_security_alerts",
        "accounts.unlock_account",
        "visas.supervise_visa_review",
        "recruitment.decide_complaints",
        "recruitment.license_offices",
    ],
}
