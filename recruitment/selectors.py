"""Reads about offices: who works where, the public directory, the comparison households choose from,
the CV search, and the ministry's list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Exists, Min, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from musaned.policy.models import Country, Occupation
from musaned.policy.services import rules_in_force

from .models import Offer, Office, OfficeMembership, PriceListEntry, SanctionKind, WorkerCV
from .scorecard import Scorecard, scorecards
from .services import office_accepts_requests, sanctions_in_force


def membership_of(user) -> OfficeMembership | None:
    """The person's place in an office (None for anyone who does not work for one)."""
    if not user.is_authenticated:
        return None
    return OfficeMembership.objects.select_related("office").filter(user=user).first()


def office_staff(office: Office) -> QuerySet[OfficeMembership]:
    return office.memberships.select_related("user").order_by("role", "user__email")


def with_current_sanctions(offices: QuerySet[Office], on: dt.date) -> QuerySet[Office]:
    """Load the sanctions in force with the offices, so `office_accepts_requests` needs no query each."""
    return offices.prefetch_related(
        Prefetch("sanctions", queryset=sanctions_in_force(on), to_attr="current_sanctions")
    )


def offices_accepting(on: dt.date) -> QuerySet[Office]:
    """Offices that may take a new request on `on`: the rules of `office_accepts_requests`, in SQL."""
    suspended = sanctions_in_force(on).filter(office=OuterRef("pk"), kind=SanctionKind.SUSPENSION)
    return Office.objects.filter(active=True, licence_valid_until__gte=on, cr_valid_until__gte=on).filter(
        ~Exists(suspended)
    )


def price_ceiling(nationality: Country, on: dt.date) -> Decimal | None:
    rule = rules_in_force(on=on).rule_for_country(nationality)
    return rule.price_ceiling if rule else None


def office_prices(office: Office) -> QuerySet[PriceListEntry]:
    return office.prices.select_related("nationality", "occupation")


def office_cvs(office: Office, *, available: bool | None = None) -> QuerySet[WorkerCV]:
    cvs = office.cvs.select_related("nationality", "occupation")
    return cvs if available is None else cvs.filter(available=available)


def cities() -> list[str]:
    """The cities where active offices are, for the directory's filter."""
    return list(Office.objects.filter(active=True).order_by("city").values_list("city", flat=True).distinct())


# --- The directory and the comparison ------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryRow:
    """An office in the directory: its price and delivery days for what was asked (the lowest of its
    prices when the nationality or occupation is left open) and its scorecard."""

    office: Office
    price: Decimal | None
    delivery_days: int | None
    scorecard: Scorecard


DIRECTORY_SORTS = ("rating", "price", "delivery", "on_time")


def _sort_key(sort: str):
    """Best first; offices without the figure come last."""

    def key(row):
        card = getattr(row, "scorecard", None)
        value = {
            "price": row.price,
            "delivery": row.delivery_days,
            "rating": -card.rating_average if card and card.rating_average is not None else None,
            "on_time": -card.on_time_rate if card and card.on_time_rate is not None else None,
        }[sort]
        return (value is None, value if value is not None else 0, row.office.name_en, row.office.pk)

    return key


def directory(
    *,
    nationality: Country | None = None,
    occupation: Occupation | None = None,
    city: str = "",
    sort: str = "rating",
    on: dt.date | None = None,
) -> list[DirectoryRow]:
    """Licensed offices taking requests, filtered and sorted (a fixed number of queries).

    With a nationality or an occupation chosen only offices with a matching price within the ceiling in
    force are listed.
    """
    on = on or timezone.localdate()
    offices = offices_accepting(on)
    if city:
        offices = offices.filter(city=city)
    match = Q()
    if nationality is not None:
        match &= Q(prices__nationality=nationality)
        ceiling = price_ceiling(nationality, on)
        if ceiling is not None:
            match &= Q(prices__price__lte=ceiling)
    if occupation is not None:
        match &= Q(prices__occupation=occupation)
    offices = offices.annotate(
        lowest_price=Min("prices__price", filter=match),
        fastest_delivery=Min("prices__delivery_days", filter=match),
    )
    if nationality is not None or occupation is not None:
        offices = offices.filter(lowest_price__isnull=False)
    offices = list(offices)
    cards = scorecards([office.pk for office in offices], on=on)
    rows = [
        DirectoryRow(
            office=office,
            price=office.lowest_price,
            delivery_days=office.fastest_delivery,
            scorecard=cards[office.pk],
        )
        for office in offices
    ]
    return sorted(rows, key=_sort_key(sort if sort in DIRECTORY_SORTS else "rating"))


@dataclass(frozen=True)
class OfficeComparison:
    """One office a household may pick for a request.

    `accepts` is `office_accepts_requests`' answer: (True, "") or (False, the reason to show).
    `rating` is the households' average (None before the first rating); `on_time_rate` a whole percent
    (None before the first dated answer or delivery).
    """

    office: Office
    price: Decimal
    delivery_days: int
    rating: Decimal | None
    rating_count: int
    on_time_rate: int | None
    accepts: tuple[bool, str]


def offices_compare(
    *,
    nationality: Country,
    occupation: Occupation,
    city: str | None = None,
    on: dt.date | None = None,
) -> list[OfficeComparison]:
    """Every active office pricing this nationality and occupation within the ceiling in force: those
    taking requests first, then cheapest, fastest and best rated. Offices that cannot take a request
    today are included with the reason, so the household sees why they cannot be chosen."""
    on = on or timezone.localdate()
    entries = PriceListEntry.objects.filter(
        nationality=nationality, occupation=occupation, office__active=True
    ).select_related("office")
    ceiling = price_ceiling(nationality, on)
    if ceiling is not None:
        entries = entries.filter(price__lte=ceiling)
    if city:
        entries = entries.filter(office__city=city)
    entries = entries.prefetch_related(
        Prefetch("office__sanctions", queryset=sanctions_in_force(on), to_attr="current_sanctions")
    )
    entries = list(entries)
    cards = scorecards([entry.office_id for entry in entries], on=on)
    rows = [
        OfficeComparison(
            office=entry.office,
            price=entry.price,
            delivery_days=entry.delivery_days,
            rating=cards[entry.office_id].rating_average,
            rating_count=cards[entry.office_id].rating_count,
            on_time_rate=cards[entry.office_id].on_time_rate,
            accepts=office_accepts_requests(entry.office, on),
        )
        for entry in entries
    ]
    return sorted(
        rows,
        key=lambda row: (
            not row.accepts[0],
            row.price,
            row.delivery_days,
            -(row.rating or 0),
            row.office.name_en,
            row.office.pk,
        ),
    )


# --- Worker CVs as households find them ------------------------------------------------------------


def cv_search(
    *,
    on: dt.date | None = None,
    nationality: Country | None = None,
    occupation: Occupation | None = None,
    gender: str = "",
    religion: str = "",
    language: str = "",
    min_experience: int | None = None,
    min_salary: Decimal | None = None,
    max_salary: Decimal | None = None,
) -> QuerySet[WorkerCV]:
    """Available CVs of offices taking requests whose passports outlast a contract starting `on`."""
    on = on or timezone.localdate()
    passport_after = on + relativedelta(months=rules_in_force(on=on).contract_months)
    cvs = WorkerCV.objects.filter(
        available=True, office__in=offices_accepting(on), passport_expiry__gt=passport_after
    )
    filters = {
        "nationality": nationality,
        "occupation": occupation,
        "gender": gender,
        "religion": religion,
        "languages__icontains": (language or "").strip(),
        "experience_years__gte": min_experience,
        "monthly_salary__gte": min_salary,
        "monthly_salary__lte": max_salary,
    }
    cvs = cvs.filter(**{lookup: value for lookup, value in filters.items() if value not in (None, "")})
    return cvs.select_related("office", "nationality", "occupation").order_by("-created_at", "-id")


def age_on(born: dt.date, on: dt.date) -> int:
    """Whole years of age on `on`."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def works_for(user, office_id: int) -> bool:
    """The account works for the office and may do its recruitment work."""
    return (
        user.is_authenticated
        and user.has_perm("recruitment.work_requests")
        and OfficeMembership.objects.filter(user=user, office_id=office_id).exists()
    )


def cv_offered_to(cv: WorkerCV, user) -> bool:
    """The CV was offered to the household of `user` on one of its requests."""
    return Offer.objects.filter(cv=cv, request__household__user=user).exists()


def cv_in_search(cv: WorkerCV, *, on: dt.date | None = None) -> bool:
    return cv_search(on=on).filter(pk=cv.pk).exists()


# --- The ministry's view -------------------------------------------------------------------------


def offices_for_licensing(*, query: str = "", on: dt.date | None = None) -> QuerySet[Office]:
    """All offices, with their sanctions in force, for the licensing team's list."""
    on = on or timezone.localdate()
    offices = Office.objects.all()
    query = (query or "").strip()
    if query:
        offices = offices.filter(
            Q(name_en__icontains=query)
            | Q(name_ar__icontains=query)
            | Q(cr_number__startswith=query)
            | Q(licence_number__icontains=query)
        )
    return with_current_sanctions(offices.order_by("name_en", "pk"), on)
