"""Recruitment offices and the people who work in them."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from viewflow.workflow.models import Process

from households.models import MaritalStatus
from musaned.storage import private_storage

from .validators import validate_cr_number


class Office(models.Model):
    """A licensed recruitment company: a commercial registration, a ministry licence, a bank guarantee."""

    name_ar = models.CharField(_("name (Arabic)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)
    cr_number = models.CharField(
        _("commercial registration number"), max_length=10, unique=True, validators=[validate_cr_number]
    )
    licence_number = models.CharField(_("licence number"), max_length=30)
    licence_valid_until = models.DateField(_("licence valid until"))
    bank_guarantee_amount = models.DecimalField(
        _("bank guarantee (SAR)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    city = models.CharField(_("city"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20)
    email = models.EmailField(_("e-mail address"))
    active = models.BooleanField(_("active"), default=True)
    cr_valid_until = models.DateField(_("commercial registration valid until"), null=True, blank=True)
    cr_checked_at = models.DateTimeField(_("registration last checked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("recruitment office")
        verbose_name_plural = _("recruitment offices")
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ar").startswith("en") else self.name_ar

    @property
    def licence_valid(self) -> bool:
        return self.licence_valid_until >= timezone.localdate()


class OfficeRole(models.TextChoices):
    MANAGER = "manager", _("Manager")
    STAFF = "staff", _("Staff")


class OfficeMembership(models.Model):
    """A person works for exactly one office; the manager adds and removes staff."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("office")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="office_membership",
        verbose_name=_("account"),
    )
    role = models.CharField(_("role"), max_length=10, choices=OfficeRole.choices, default=OfficeRole.STAFF)
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("office membership")
        verbose_name_plural = _("office memberships")
        ordering = ["role", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.office})"

    @property
    def is_manager(self) -> bool:
        return self.role == OfficeRole.MANAGER


# --- Offices' offers to households: price lists and worker CVs -------------------------------------


class PriceListEntry(models.Model):
    """What an office charges for one nationality and occupation (excl. VAT), and how fast it delivers."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="prices", verbose_name=_("office")
    )
    nationality = models.ForeignKey(
        "policy.Country", on_delete=models.PROTECT, related_name="+", verbose_name=_("nationality")
    )
    occupation = models.ForeignKey(
        "policy.Occupation", on_delete=models.PROTECT, related_name="+", verbose_name=_("occupation")
    )
    price = models.DecimalField(
        _("price excl. VAT (SAR)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("1"))],
    )
    delivery_days = models.PositiveSmallIntegerField(_("delivery days"), validators=[MinValueValidator(1)])
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("price list entry")
        verbose_name_plural = _("price list")
        ordering = ["nationality__name_en", "occupation__name_en"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "nationality", "occupation"], name="one_price_per_offer_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.nationality} {self.occupation}: {self.price}"


class Religion(models.TextChoices):
    MUSLIM = "muslim", _("Muslim")
    CHRISTIAN = "christian", _("Christian")
    HINDU = "hindu", _("Hindu")
    BUDDHIST = "buddhist", _("Buddhist")
    OTHER = "other", _("Other")


def cv_photo_upload_to(instance: "WorkerCV", filename: str) -> str:
    import uuid

    return f"cv-photos/{uuid.uuid4().hex}.jpg"


class WorkerCV(models.Model):
    """A worker an office proposes; households see it only in offers made to them and in the search."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="cvs", verbose_name=_("office"))
    name = models.CharField(_("name"), max_length=150)
    nationality = models.ForeignKey(
        "policy.Country", on_delete=models.PROTECT, related_name="+", verbose_name=_("nationality")
    )
    occupation = models.ForeignKey(
        "policy.Occupation", on_delete=models.PROTECT, related_name="+", verbose_name=_("occupation")
    )
    gender = models.CharField(
        _("gender"), max_length=6, choices=[("female", _("Female")), ("male", _("Male"))]
    )
    date_of_birth = models.DateField(_("date of birth"))
    religion = models.CharField(_("religion"), max_length=10, choices=Religion.choices)
    marital_status = models.CharField(_("marital status"), max_length=10, choices=MaritalStatus.choices)
    languages = models.CharField(_("languages spoken"), max_length=200)
    experience_years = models.PositiveSmallIntegerField(_("years of experience"), default=0)
    skills = models.TextField(_("skills"), blank=True)
    photo = models.ImageField(
        _("photo"), storage=private_storage, upload_to=cv_photo_upload_to, null=True, blank=True
    )
    passport_number = models.CharField(_("passport number"), max_length=20)
    passport_expiry = models.DateField(_("passport valid until"))
    monthly_salary = models.DecimalField(_("monthly salary (SAR)"), max_digits=10, decimal_places=2)
    phone = models.CharField(_("worker's phone"), max_length=20, blank=True)
    language = models.CharField(_("contract language"), max_length=8, default="en")
    available = models.BooleanField(_("available"), default=True)
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        verbose_name = _("worker CV")
        verbose_name_plural = _("worker CVs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "passport_number"], name="one_cv_per_passport_per_office"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.passport_number})"


# --- The recruitment case, from request to closing -------------------------------------------------


class RequestMode(models.TextChoices):
    SPECIFICATION = "specification", _("By specification (the office offers CVs)")
    NAMED = "named", _("Named worker (I already know the worker)")


class RequestState(models.TextChoices):
    AWAITING_OFFERS = "awaiting_offers", _("Waiting for the office's offers")
    OFFICE_LATE = "office_late", _("The office did not answer in time: choose another office")
    OFFERS_SENT = "offers_sent", _("Offers received: choose a worker")
    AWAITING_WORKER = "awaiting_worker", _("Waiting for the worker to accept the contract")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    IN_PROCESS = "in_process", _("Paid: the office is bringing the worker")
    ARRIVED = "arrived", _("Arrived: waiting for hand-over")
    IN_GUARANTEE = "in_guarantee", _("Handed over: guarantee period")
    CLOSED = "closed", _("Closed")
    RETURNED = "returned", _("Returned in the guarantee period")
    CANCELLED = "cancelled", _("Cancelled")
    VOID = "void", _("Void: the office was too late")
    REJECTED = "rejected", _("Rejected: the visa was refused")


# The states in which the case is still going; a visa backs at most one of these at a time.
OPEN_REQUEST_STATES = (
    RequestState.AWAITING_OFFERS,
    RequestState.OFFICE_LATE,
    RequestState.OFFERS_SENT,
    RequestState.AWAITING_WORKER,
    RequestState.AWAITING_PAYMENT,
    RequestState.IN_PROCESS,
    RequestState.ARRIVED,
    RequestState.IN_GUARANTEE,
)


class RecruitmentRequest(ConcurrentTransitionMixin, models.Model):
    """One household recruiting one worker on one visa, through one office at a time."""

    reference = models.CharField(_("request number"), max_length=16, unique=True)
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="recruitment_requests"
    )
    visa = models.ForeignKey("visas.Visa", on_delete=models.PROTECT, related_name="recruitment_requests")
    mode = models.CharField(_("kind of request"), max_length=14, choices=RequestMode.choices)
    named_worker_name = models.CharField(_("worker's name"), max_length=150, blank=True)
    named_worker_passport = models.CharField(_("worker's passport number"), max_length=20, blank=True)
    named_worker_passport_expiry = models.DateField(_("worker's passport valid until"), null=True, blank=True)
    named_worker_phone = models.CharField(_("worker's phone"), max_length=20, blank=True)

    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("office"),
    )
    answer_due_at = models.DateTimeField(_("office must answer by"), null=True, blank=True)
    rule_set = models.ForeignKey("policy.RuleSet", on_delete=models.PROTECT, related_name="+")
    state = FSMField(
        _("state"), default=RequestState.AWAITING_OFFERS, choices=RequestState.choices, protected=True
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recruitment request")
        verbose_name_plural = _("recruitment requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visa"],
                condition=models.Q(state__in=[state.value for state in OPEN_REQUEST_STATES]),
                name="one_open_request_per_visa",
            )
        ]
        permissions = [
            ("work_requests", _("Can work the recruitment requests assigned to the office")),
            ("decide_complaints", _("Can decide escalated complaints and sanction offices")),
            ("license_offices", _("Can license, suspend and reinstate offices")),
        ]

    def __str__(self) -> str:
        return self.reference

    @transition(field=state, source=[RequestState.AWAITING_OFFERS], target=RequestState.OFFICE_LATE)
    def office_late(self) -> None:
        """The office let its answer deadline pass; the household picks another office."""

    @transition(
        field=state,
        source=[RequestState.OFFICE_LATE, RequestState.AWAITING_OFFERS],
        target=RequestState.AWAITING_OFFERS,
    )
    def assign_office(self, *, office: Office, answer_due_at) -> None:
        self.office, self.answer_due_at = office, answer_due_at

    @transition(
        field=state,
        source=[RequestState.AWAITING_OFFERS, RequestState.OFFERS_SENT],
        target=RequestState.OFFERS_SENT,
    )
    def receive_offers(self) -> None:
        self.answer_due_at = None

    @transition(field=state, source=RequestState.OFFERS_SENT, target=RequestState.AWAITING_WORKER)
    def select_offer(self) -> None:
        """The household chose a CV; the contract waits for the worker's acceptance."""

    @transition(field=state, source=RequestState.AWAITING_WORKER, target=RequestState.OFFERS_SENT)
    def worker_declined(self) -> None:
        """The worker declined (or let the deadline pass): back to the offers."""

    @transition(field=state, source=RequestState.OFFERS_SENT, target=RequestState.AWAITING_OFFERS)
    def ask_new_offers(self, *, answer_due_at) -> None:
        """The household turned every offer down: the same office answers again by a new deadline."""
        self.answer_due_at = answer_due_at

    @transition(field=state, source=RequestState.AWAITING_WORKER, target=RequestState.AWAITING_PAYMENT)
    def worker_accepted(self) -> None:
        """The worker accepted; the household pays next."""

    @transition(field=state, source=RequestState.AWAITING_PAYMENT, target=RequestState.IN_PROCESS)
    def pay(self) -> None:
        """The household paid; the money is held in trust and the delivery clock runs."""

    @transition(field=state, source=RequestState.IN_PROCESS, target=RequestState.ARRIVED)
    def arrive(self) -> None:
        """The worker entered the kingdom; the office must hand her over."""

    @transition(field=state, source=RequestState.ARRIVED, target=RequestState.IN_GUARANTEE)
    def hand_over(self) -> None:
        """The household received the worker; the guarantee period runs."""

    @transition(field=state, source=RequestState.IN_GUARANTEE, target=RequestState.CLOSED)
    def close(self, *, at) -> None:
        self.closed_at = at

    @transition(field=state, source=RequestState.IN_GUARANTEE, target=RequestState.RETURNED)
    def return_worker(self, *, at) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=[
            RequestState.AWAITING_OFFERS,
            RequestState.OFFICE_LATE,
            RequestState.OFFERS_SENT,
            RequestState.AWAITING_WORKER,
            RequestState.AWAITING_PAYMENT,
            RequestState.IN_PROCESS,
        ],
        target=RequestState.CANCELLED,
    )
    def cancel(self, *, at) -> None:
        self.closed_at = at

    @transition(field=state, source=RequestState.IN_PROCESS, target=RequestState.VOID)
    def void(self, *, at) -> None:
        """Past the hard delivery limit: the contract is void."""
        self.closed_at = at

    @transition(
        field=state,
        source=[RequestState.AWAITING_OFFERS, RequestState.OFFICE_LATE, RequestState.OFFERS_SENT],
        target=RequestState.REJECTED,
    )
    def visa_rejected(self, *, at) -> None:
        self.closed_at = at


class OfficeAssignment(models.Model):
    """Each office a request was sent to and how it answered: the source of the on-time rate."""

    class Outcome(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        ANSWERED = "answered", _("Answered in time")
        LATE = "late", _("Did not answer in time")
        WITHDRAWN = "withdrawn", _("Request withdrawn")

    request = models.ForeignKey(RecruitmentRequest, on_delete=models.CASCADE, related_name="assignments")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="assignments")
    assigned_at = models.DateTimeField(auto_now_add=True)
    answer_due_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.WAITING)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assigned_at", "id"]

    def __str__(self) -> str:
        return f"{self.request} → {self.office}: {self.outcome}"


class OfferState(models.TextChoices):
    OPEN = "open", _("Offered")
    SELECTED = "selected", _("Selected")
    DECLINED = "declined", _("Declined by the worker")
    REJECTED = "rejected", _("Not chosen")


class Offer(models.Model):
    request = models.ForeignKey(RecruitmentRequest, on_delete=models.CASCADE, related_name="offers")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="offers")
    cv = models.ForeignKey(
        WorkerCV, on_delete=models.PROTECT, related_name="offers", verbose_name=_("worker")
    )
    price = models.DecimalField(_("price excl. VAT (SAR)"), max_digits=12, decimal_places=2)
    delivery_days = models.PositiveSmallIntegerField(_("delivery days"))
    state = models.CharField(max_length=10, choices=OfferState.choices, default=OfferState.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "cv"], name="one_offer_per_cv_per_request")]

    def __str__(self) -> str:
        return f"{self.request}: {self.cv}"


class Contract(models.Model):
    """The unified contract's terms for one selected offer; a decline supersedes it."""

    request = models.ForeignKey(RecruitmentRequest, on_delete=models.PROTECT, related_name="contracts")
    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="contract")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="contracts")
    cv = models.ForeignKey(WorkerCV, on_delete=models.PROTECT, related_name="contracts")
    rule_set = models.ForeignKey("policy.RuleSet", on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(_("price excl. VAT (SAR)"), max_digits=12, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT (SAR)"), max_digits=12, decimal_places=2)
    total = models.DecimalField(_("total (SAR)"), max_digits=12, decimal_places=2)
    contract_months = models.PositiveSmallIntegerField(_("contract length (months)"), default=24)
    monthly_salary = models.DecimalField(_("worker's monthly salary (SAR)"), max_digits=10, decimal_places=2)
    worker_language = models.CharField(_("worker's language"), max_length=8)
    worker_token = models.CharField(max_length=64, unique=True)
    worker_decision_due_at = models.DateTimeField(_("worker answers by"))
    worker_accepted_at = models.DateTimeField(_("accepted by the worker at"), null=True, blank=True)
    worker_declined_at = models.DateTimeField(_("declined by the worker at"), null=True, blank=True)
    bill = models.OneToOneField(
        "billing.Bill",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bill"),
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    delivery_due_on = models.DateField(_("delivery due"), null=True, blank=True)
    extended_due_on = models.DateField(_("extended delivery due"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    handover_due_at = models.DateTimeField(_("hand-over due"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    guarantee_ends_on = models.DateField(_("guarantee ends"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    worker_decline_reason = models.CharField(_("why the worker declined"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.request} / {self.cv}"

    @property
    def live(self) -> bool:
        return self.worker_declined_at is None

    def document_status(self, document) -> tuple[bool, str]:
        """What the public check of the printed contract says (asked by musaned.documents)."""
        from .contracts import contract_document_status

        return contract_document_status(contract=self)


class MilestoneKind(models.TextChoices):
    MOFA_AUTHORISATION = "mofa_authorisation", _("Foreign-ministry authorisation")
    MEDICAL_CHECK = "medical_check", _("Medical check")
    EMBASSY_STAMPING = "embassy_stamping", _("Embassy stamping")
    FLIGHT_BOOKED = "flight_booked", _("Flight booked")
    DEPARTED = "departed", _("Departed")


MILESTONE_ORDER = list(MilestoneKind)


def attachment_upload_to(instance, filename: str) -> str:
    import uuid

    return f"recruitment/{uuid.uuid4().hex}"


class Milestone(models.Model):
    request = models.ForeignKey(RecruitmentRequest, on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(_("step"), max_length=20, choices=MilestoneKind.choices)
    occurred_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    document = models.FileField(
        _("document"), storage=private_storage, upload_to=attachment_upload_to, null=True, blank=True
    )
    document_type = models.CharField(max_length=40, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_on", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "kind"], name="one_milestone_per_step")]

    def __str__(self) -> str:
        return self.get_kind_display()


class TrustEntryKind(models.TextChoices):
    HELD = "held", _("Paid in and held in trust")
    RELEASED = "released", _("Released to the office")
    REFUNDED = "refunded", _("Refunded to the household")
    PENALTY = "penalty", _("Penalty paid by the office to the household")
    FEE = "fee", _("Cancellation fee kept for the office")


class TrustEntry(models.Model):
    """The ledger of money held in trust for one case: every amount with the rule and formula behind it."""

    request = models.ForeignKey(RecruitmentRequest, on_delete=models.PROTECT, related_name="trust_entries")
    kind = models.CharField(_("movement"), max_length=10, choices=TrustEntryKind.choices)
    amount = models.DecimalField(_("amount (SAR)"), max_digits=12, decimal_places=2)
    formula = models.CharField(_("formula"), max_length=300)
    rule_set = models.ForeignKey("policy.RuleSet", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(
        max_length=80, unique=True
    )  # one entry per business event, whatever retries happen
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request} {self.kind} {self.amount}"


# --- After: complaints, sanctions, ratings, contract templates -------------------------------------


class ComplaintCategory(models.TextChoices):
    CONTRACT = "contract", _("Contract")
    VISA = "visa", _("Visa")
    WORKER_MANAGEMENT = "worker_management", _("Worker management")


class ComplaintState(models.TextChoices):
    OPEN = "open", _("Waiting for the office")
    ANSWERED = "answered", _("The office answered")
    ESCALATED = "escalated", _("With the ministry")
    RESOLVED = "resolved", _("Resolved")
    DECIDED = "decided", _("Decided by the ministry")


class Complaint(ConcurrentTransitionMixin, models.Model):
    request = models.ForeignKey(RecruitmentRequest, on_delete=models.PROTECT, related_name="complaints")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="complaints")
    by_worker = models.BooleanField(_("filed by the worker"), default=False)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    category = models.CharField(_("about"), max_length=20, choices=ComplaintCategory.choices)
    description = models.TextField(_("what happened"))
    state = FSMField(_("state"), default=ComplaintState.OPEN, choices=ComplaintState.choices, protected=True)
    response_due_at = models.DateTimeField(_("office must answer by"))
    office_response = models.TextField(_("office's answer"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(_("ministry decision"), max_length=12, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.request} {self.get_category_display()}"

    @transition(field=state, source=ComplaintState.OPEN, target=ComplaintState.ANSWERED)
    def answer(self, *, text: str, at) -> None:
        self.office_response, self.answered_at = text, at

    @transition(field=state, source=ComplaintState.ANSWERED, target=ComplaintState.RESOLVED)
    def resolve(self) -> None:
        """The complainant accepts the office's answer."""

    @transition(
        field=state, source=[ComplaintState.OPEN, ComplaintState.ANSWERED], target=ComplaintState.ESCALATED
    )
    def escalate(self, *, at) -> None:
        self.escalated_at = at

    @transition(field=state, source=ComplaintState.ESCALATED, target=ComplaintState.DECIDED)
    def decide(self, *, decision: str, note: str, by, at) -> None:
        self.decision, self.decision_note, self.decided_by, self.decided_at = decision, note, by, at


class ComplaintAttachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to=attachment_upload_to)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class SanctionKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    SUSPENSION = "suspension", _("Suspension")


class Sanction(models.Model):
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="sanctions")
    kind = models.CharField(_("sanction"), max_length=12, choices=SanctionKind.choices)
    reason = models.TextField(_("reason"))
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, null=True, blank=True, related_name="sanctions"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_reason = models.TextField(_("why it was lifted"), blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return f"{self.office}: {self.get_kind_display()}"


class OfficeRating(models.Model):
    request = models.OneToOneField(RecruitmentRequest, on_delete=models.CASCADE, related_name="rating")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="ratings")
    stars = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1)])
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.office}: {self.stars}"


class ContractTemplate(models.Model):
    """The worker-language section of the unified contract; the ministry adds languages without code."""

    language = models.CharField(_("language code"), max_length=8, unique=True)
    language_name = models.CharField(_("language name"), max_length=60)
    direction = models.CharField(
        _("direction"), max_length=3, choices=[("ltr", "LTR"), ("rtl", "RTL")], default="ltr"
    )
    body = models.TextField(_("contract text (template)"))
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    labels = models.JSONField(
        _("words of the worker's page and text message"),
        default=dict,
        blank=True,
        help_text=_("Translations of the worker's page, by key; a missing key is shown in English."),
    )

    class Meta:
        verbose_name = _("contract template")
        verbose_name_plural = _("contract templates (worker languages)")
        ordering = ["language"]

    def __str__(self) -> str:
        return self.language_name


class RecruitmentProcess(Process):
    """The process of one recruitment request (see flows.py); the request itself is the artifact."""

    class Meta:
        proxy = True
        verbose_name = _("recruitment process")
        verbose_name_plural = _("recruitment processes")

    @property
    def request(self) -> RecruitmentRequest | None:
        """The request as stored now: the flow's gates must see what the services just wrote."""
        return (
            RecruitmentRequest.objects.select_related("office", "visa", "household")
            .filter(pk=self.artifact_object_id)
            .first()
        )


# --- Delivery deadlines ----------------------------------------------------------------------------


class DeadlineAlertKind(models.TextChoices):
    DELIVERY = "delivery", _("Delivery due")
    HARD_LIMIT = "hard_limit", _("Last day before the contract is void")
    LATE = "late", _("Delivery late")
    HANDOVER_LATE = "handover_late", _("Hand-over late")
    GUARANTEE = "guarantee", _("Guarantee ends")


class DeadlineAlert(models.Model):
    """An alert sent about one deadline of one case, kept so that each goes out once, whatever reruns."""

    request = models.ForeignKey(RecruitmentRequest, on_delete=models.CASCADE, related_name="deadline_alerts")
    kind = models.CharField(max_length=16, choices=DeadlineAlertKind.choices)
    due_on = models.DateField()
    days_before = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "kind", "due_on", "days_before"], name="one_alert_per_deadline_and_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request} {self.kind} {self.due_on} -{self.days_before}"


# --- The offices' morning digest -------------------------------------------------------------------


class OfficeDigest(models.Model):
    """The morning digest sent to one office on one day, kept so that it goes out once whatever reruns;
    the summary is what the staff were told."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="digests", verbose_name=_("office")
    )
    day = models.DateField(_("day"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    summary = models.JSONField(_("summary"), default=dict)

    class Meta:
        verbose_name = _("office daily digest")
        verbose_name_plural = _("office daily digests")
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["office", "day"], name="one_digest_per_office_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.day:%Y-%m-%d}"
