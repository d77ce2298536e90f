"""Reference data and the 2024 rule set, as published; admins edit them afterwards without code."""

from datetime import date
from decimal import Decimal

from django.db import migrations

# code, English, Arabic, needs a medical report, year added
OCCUPATIONS = [
    ("housemaid", "Housemaid", "عاملة منزلية", False, None),
    ("private_driver", "Private driver", "سائق خاص", False, None),
    ("cook", "Cook", "طباخ", False, None),
    ("nanny", "Nanny", "مربية أطفال", False, None),
    ("home_nurse", "Home nurse", "ممرض منزلي", True, None),
    ("house_guard", "House guard", "حارس منزل", False, None),
    ("gardener", "Farmer / gardener", "مزارع / عامل حديقة", False, None),
    ("tailor", "Tailor", "خياط", False, None),
    ("coffee_maker", "Coffee maker", "قهوجي", False, None),
    ("female_private_driver", "Female private driver", "سائقة خاصة", False, 2023),
    ("housekeeper", "Housekeeper", "مدبرة منزل", False, 2023),
    ("house_manager", "House manager", "مدير منزل", False, 2023),
    ("personal_care_worker", "Personal care worker", "عامل رعاية شخصية", False, 2023),
    ("personal_assistant", "Personal assistant", "مساعد شخصي", False, 2023),
    ("tutor", "Private tutor", "معلم خصوصي", False, 2023),
    ("speech_specialist", "Speech specialist", "أخصائي نطق وتخاطب", False, 2023),
    ("travel_companion", "Travel companion", "مرافق سفر", False, 2023),
    ("support_worker", "Support worker", "عامل دعم", False, 2023),
]

# ISO 3166 code, English, Arabic, worker language (ISO 639-1; "en"/"fr" where that is the contract language)
COUNTRIES = [
    ("PH", "Philippines", "الفلبين", "tl"),
    ("ID", "Indonesia", "إندونيسيا", "id"),
    ("LK", "Sri Lanka", "سريلانكا", "si"),
    ("IN", "India", "الهند", "hi"),
    ("BD", "Bangladesh", "بنغلاديش", "bn"),
    ("PK", "Pakistan", "باكستان", "ur"),
    ("NP", "Nepal", "نيبال", "ne"),
    ("KE", "Kenya", "كينيا", "sw"),
    ("UG", "Uganda", "أوغندا", "en"),
    ("ET", "Ethiopia", "إثيوبيا", "am"),
    ("GH", "Ghana", "غانا", "en"),
    ("BI", "Burundi", "بوروندي", "fr"),
    ("SL", "Sierra Leone", "سيراليون", "en"),
    ("VN", "Vietnam", "فيتنام", "vi"),
    ("TZ", "Tanzania", "تنزانيا", "sw"),
    ("RW", "Rwanda", "رواندا", "en"),
    ("LR", "Liberia", "ليبيريا", "en"),
    ("NG", "Nigeria", "نيجيريا", "en"),
    ("NE", "Niger", "النيجر", "fr"),
    ("ML", "Mali", "مالي", "fr"),
    ("TD", "Chad", "تشاد", "fr"),
    ("SN", "Senegal", "السنغال", "fr"),
    ("GN", "Guinea", "غينيا", "fr"),
    ("DJ", "Djibouti", "جيبوتي", "fr"),
    ("MA", "Morocco", "المغرب", "ar"),
    ("TN", "Tunisia", "تونس", "ar"),
    ("EG", "Egypt", "مصر", "ar"),
    ("SD", "Sudan", "السودان", "ar"),
    ("MR", "Mauritania", "موريتانيا", "ar"),
    ("KH", "Cambodia", "كمبوديا", "km"),
    ("TH", "Thailand", "تايلاند", "th"),
    ("MM", "Myanmar", "ميانمار", "my"),
    ("UZ", "Uzbekistan", "أوزبكستان", "uz"),
]

RULE_SET_NAME = "2024"
RULE_SET_START = date(2024, 1, 1)

# residency, visa number, minimum monthly salary (0: any proven salary), or minimum bank balance
TIERS = [
    ("citizen", 1, Decimal("0"), Decimal("40000")),
    ("citizen", 2, Decimal("7000"), Decimal("60000")),
    ("citizen", 3, Decimal("25000"), Decimal("200000")),
    ("resident", 1, Decimal("10000"), Decimal("100000")),
    ("resident", 2, Decimal("20000"), Decimal("200000")),
]

# 2023 price ceilings excl. VAT and the sending country's minimum monthly wage, in SAR
CEILINGS = {
    "PH": (Decimal("14700"), Decimal("1500")),
    "LK": (Decimal("13800"), None),
    "BD": (Decimal("11750"), None),
    "KE": (Decimal("9000"), None),
    "UG": (Decimal("8300"), None),
    "ET": (Decimal("5900"), None),
}
DELIVERY_DAYS = 90


def seed(apps, schema_editor):
    Occupation = apps.get_model("policy", "Occupation")
    Country = apps.get_model("policy", "Country")
    RuleSet = apps.get_model("policy", "RuleSet")
    EligibilityTier = apps.get_model("policy", "EligibilityTier")
    CountryRule = apps.get_model("policy", "CountryRule")

    for code, name_en, name_ar, medical, added_in in OCCUPATIONS:
        Occupation.objects.get_or_create(
            code=code,
            defaults={
                "name_en": name_en,
                "name_ar": name_ar,
                "requires_medical_report": medical,
                "added_in": added_in,
            },
        )
    countries = {}
    for code, name_en, name_ar, language in COUNTRIES:
        countries[code], _created = Country.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_ar": name_ar, "worker_language": language}
        )

    rule_set, created = RuleSet.objects.get_or_create(
        effective_from=RULE_SET_START,
        defaults={
            "name": RULE_SET_NAME,
            "notes": "Financial-capacity tiers of 2024; recruitment price ceilings announced in 2023.",
        },
    )
    if not created:
        return
    EligibilityTier.objects.bulk_create(
        EligibilityTier(
            rule_set=rule_set,
            residency=residency,
            ordinal=ordinal,
            min_monthly_salary=salary,
            min_balance=balance,
        )
        for residency, ordinal, salary, balance in TIERS
    )
    CountryRule.objects.bulk_create(
        CountryRule(
            rule_set=rule_set,
            country=country,
            price_ceiling=CEILINGS.get(code, (None, None))[0],
            min_monthly_wage=CEILINGS.get(code, (None, None))[1],
            delivery_days=DELIVERY_DAYS,
        )
        for code, country in countries.items()
    )


def unseed(apps, schema_editor):
    apps.get_model("policy", "RuleSet").objects.filter(
        effective_from=RULE_SET_START, name=RULE_SET_NAME
    ).delete()
    apps.get_model("policy", "Country").objects.filter(code__in=[row[0] for row in COUNTRIES]).delete()
    apps.get_model("policy", "Occupation").objects.filter(code__in=[row[0] for row in OCCUPATIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
