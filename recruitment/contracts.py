"""The unified contract: its terms, the section in the worker's language, its PDF and its public check.

The Arabic and English terms are fixed in templates/documents/contract.html. The section in the
worker's language belongs to the ministry: one ContractTemplate per language, edited in the admin site
without code. Its body, and the words of the worker's page (`labels`), are small Django templates
rendered in a sandbox that knows only these placeholders, all plain text:

    {{ worker_name }}  {{ worker_passport }}  {{ nationality }}  {{ occupation }}
    {{ employer_name }}  {{ employer_city }}  {{ office_name }}  {{ office_phone }}
    {{ salary }}  {{ months }}  {{ delivery_days }}  {{ guarantee_days }}  {{ rest_hours }}
    {{ decision_due }}  {{ contract_number }}  {{ link }}  {{ answered_on }}

and only the tags {% if %} and {% comment %} and the filters upper, lower, capfirst and default.
Nothing else (no other tags, no includes, no objects) can be reached from the text. The text message
that brings the worker her link is the notification event "worker_contract_link", with the same values.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from musaned.accounts.actor import Actor
from musaned.accounts.services import audit_record, model_changes
from musaned.notifications.services import notify_worker
from musaned.policy.money import format_amount

from .models import Contract, ContractTemplate, RequestState

CENTS = Decimal("0.01")
FALLBACK_LANGUAGE = "en"
# The Domestic Workers Regulation's minimum daily rest, printed in every language section.
REST_HOURS = 9

PLACEHOLDERS = (
    "worker_name",
    "worker_passport",
    "nationality",
    "occupation",
    "employer_name",
    "employer_city",
    "office_name",
    "office_phone",
    "salary",
    "months",
    "delivery_days",
    "guarantee_days",
    "rest_hours",
    "decision_due",
    "contract_number",
    "link",
    "answered_on",
)

# The worker's page; a template's `labels` may translate any of these keys.
DEFAULT_LABELS = {
    "page_title": gettext_lazy("Your work contract"),
    "intro": gettext_lazy(
        "{{ employer_name }} wants to employ you as {{ occupation }} in Saudi Arabia, through the "
        "recruitment office {{ office_name }}. Read the contract, then accept or decline it."
    ),
    "answer_by": gettext_lazy("Please answer by {{ decision_due }} (Saudi Arabia time)."),
    "your_language": gettext_lazy("The contract in your language"),
    "terms_heading": gettext_lazy("The contract in Arabic and English"),
    "download": gettext_lazy("Download the contract (PDF)"),
    "pdf_pending": gettext_lazy("The PDF is being prepared. Reload this page in a moment."),
    "accept": gettext_lazy("I accept this contract"),
    "decline": gettext_lazy("I decline this contract"),
    "decline_reason": gettext_lazy("Why do you decline? (you may leave this empty)"),
    "accepted": gettext_lazy(
        "You accepted this contract on {{ answered_on }}. The office will contact you about your travel."
    ),
    "declined": gettext_lazy("You declined this contract on {{ answered_on }}. Nothing more is needed."),
    "expired": gettext_lazy("The time to answer this contract has passed. It is no longer open."),
    "reason_too_long": gettext_lazy("Please write at most 500 characters."),
}
LABEL_KEYS = tuple(DEFAULT_LABELS)

register = Library()
register.tag("if", defaulttags.do_if)
register.tag("comment", defaulttags.comment)
for _name in ("upper", "lower", "capfirst", "default"):
    register.filter(_name, getattr(defaultfilters, _name))


class _SandboxEngine(Engine):
    """A template engine whose only tags and filters are those registered above."""

    default_builtins: list[str] = []


SANDBOX = _SandboxEngine(loaders=[], builtins=["recruitment.contracts"], autoescape=True)
PLACEHOLDER_PATTERN = re.compile(r"{{\s*([A-Za-z_][\w.]*)")


def render_sandboxed(text: str, values: dict[str, str]) -> str:
    """Render ministry-written text with plain values only (escaped for HTML)."""
    return SANDBOX.from_string(text).render(Context({name: values.get(name, "") for name in PLACEHOLDERS}))


def template_errors(text: str) -> list[str]:
    """What is wrong with a contract text or label, in words a ministry editor can act on."""
    try:
        render_sandboxed(text, {name: name for name in PLACEHOLDERS})
    except TemplateSyntaxError as error:
        return [_("The text cannot be read as a template: %(error)s") % {"error": error}]
    unknown = sorted({name for name in PLACEHOLDER_PATTERN.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        return [
            _("Unknown placeholders: %(unknown)s. Use only: %(known)s.")
            % {
                "unknown": ", ".join(f"{{{{ {name} }}}}" for name in unknown),
                "known": ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS),
            }
        ]
    return []


def template_for(language: str) -> ContractTemplate | None:
    """The active template of the worker's language, else the English one (None if neither exists)."""
    templates = {
        template.language: template
        for template in ContractTemplate.objects.filter(
            language__in=[language, FALLBACK_LANGUAGE], active=True
        )
    }
    return templates.get(language) or templates.get(FALLBACK_LANGUAGE)


# --- the contract's facts -------------------------------------------------------------------------


def vat_on(price: Decimal, rate: Decimal) -> Decimal:
    return (price * rate).quantize(CENTS, rounding=ROUND_HALF_UP)


def masked(value: str, visible: int = 4) -> str:
    return "•" * max(len(value) - visible, 0) + value[-visible:]


def contract_number(contract: Contract) -> str:
    """The request number and the contract's rank in it: a declined contract keeps its own number."""
    rank = Contract.objects.filter(request_id=contract.request_id, pk__lte=contract.pk).count()
    return f"{contract.request.reference}-{rank}"


def _iso(moment) -> str:
    if moment is None:
        return ""
    if hasattr(moment, "hour"):
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    return moment.isoformat()


def placeholder_values(contract: Contract) -> dict[str, str]:
    """The values the worker-language section may use: plain text, in the worker's own script."""
    request, cv, office = contract.request, contract.cv, contract.office
    household = request.household
    answered = contract.worker_accepted_at or contract.worker_declined_at
    return {
        "worker_name": cv.name,
        "worker_passport": cv.passport_number,
        "nationality": cv.nationality.name_en,
        "occupation": cv.occupation.name_en,
        "employer_name": household.name_en,
        "employer_city": household.address_city or household.city,
        "office_name": office.name_en,
        "office_phone": office.phone,
        "salary": format_amount(contract.monthly_salary),
        "months": str(contract.contract_months),
        "delivery_days": str(contract.offer.delivery_days),
        "guarantee_days": str(contract.rule_set.guarantee_days),
        "rest_hours": str(REST_HOURS),
        "decision_due": _iso(contract.worker_decision_due_at),
        "contract_number": contract_number(contract),
        "link": worker_link(contract),
        "answered_on": _iso(answered),
    }


def worker_link(contract: Contract) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("worker:contract", args=[contract.worker_token])


def worker_section(contract: Contract) -> dict[str, Any]:
    """The section in the worker's language: its language, direction and rendered text."""
    template = template_for(contract.worker_language)
    if template is None:
        return {"language": "", "language_name": "", "direction": "ltr", "text": ""}
    return {
        "language": template.language,
        "language_name": template.language_name,
        "direction": template.direction,
        "text": render_sandboxed(template.body, placeholder_values(contract)),
    }


def worker_labels(contract: Contract) -> dict[str, str]:
    """The worker's page and message in her language where the template says them, else the default."""
    template = template_for(contract.worker_language)
    own = (template.labels or {}) if template is not None else {}
    values = placeholder_values(contract)
    return {
        key: render_sandboxed(str(own.get(key) or default), values) for key, default in DEFAULT_LABELS.items()
    }


def worker_text_contract(*, contract: Contract, phone: str) -> None:
    """Text the worker the link to her contract, in her own language (English when it has no text in it).

    The message may use every placeholder the worker-language section knows.
    """
    notify_worker(
        to=phone,
        event="worker_contract_link",
        language=contract.worker_language,
        context=placeholder_values(contract),
    )


def _both(ar: str, en: str) -> dict[str, str]:
    return {"ar": ar, "en": en}


def contract_statement(contract: Contract) -> dict[str, Any]:
    """Exactly what the contract prints in its table, in Arabic and English; the public check shows this."""
    request, cv, office, rule_set = contract.request, contract.cv, contract.office, contract.rule_set
    household = request.household

    def sar(amount: Decimal) -> dict[str, str]:
        return _both(f"{format_amount(amount)} ريال", f"SAR {format_amount(amount)}")

    return {
        "title": _both(
            "عقد العمل الموحد للعمالة المنزلية", "Unified employment contract for a domestic worker"
        ),
        "facts": [
            {"label": _both("رقم العقد", "Contract number"), "value": contract_number(contract)},
            {"label": _both("صاحب العمل", "Employer"), "value": _both(household.name_ar, household.name_en)},
            {
                "label": _both("رقم هوية صاحب العمل", "Employer's ID number"),
                "value": masked(household.national_id),
            },
            {
                "label": _both("مكتب الاستقدام", "Recruitment office"),
                "value": _both(office.name_ar, office.name_en),
            },
            {
                "label": _both("السجل التجاري للمكتب", "Office's commercial registration"),
                "value": office.cr_number,
            },
            {"label": _both("ترخيص المكتب", "Office's licence"), "value": office.licence_number},
            {"label": _both("العامل", "Worker"), "value": cv.name},
            {
                "label": _both("الجنسية", "Nationality"),
                "value": _both(cv.nationality.name_ar, cv.nationality.name_en),
            },
            {"label": _both("رقم جواز السفر", "Passport number"), "value": masked(cv.passport_number)},
            {
                "label": _both("المهنة", "Occupation"),
                "value": _both(cv.occupation.name_ar, cv.occupation.name_en),
            },
            {"label": _both("الأجر الشهري", "Monthly wage"), "value": sar(contract.monthly_salary)},
            {
                "label": _both("مبلغ الاستقدام دون الضريبة", "Recruitment price excl. VAT"),
                "value": sar(contract.price),
            },
            {"label": _both("ضريبة القيمة المضافة", "VAT"), "value": sar(contract.vat_amount)},
            {"label": _both("الإجمالي", "Total"), "value": sar(contract.total)},
            {
                "label": _both("مدة العقد", "Contract length"),
                "value": _both(f"{contract.contract_months} شهرًا", f"{contract.contract_months} months"),
            },
            {
                "label": _both("مدة الاستقدام", "Delivery time"),
                "value": _both(
                    f"{contract.offer.delivery_days} يومًا من الدفع",
                    f"{contract.offer.delivery_days} days from payment",
                ),
            },
            {
                "label": _both("فترة الضمان", "Guarantee period"),
                "value": _both(
                    f"{rule_set.guarantee_days} يومًا من الوصول",
                    f"{rule_set.guarantee_days} days from arrival",
                ),
            },
            {
                "label": _both("القواعد المطبقة", "Rules applied"),
                "value": f"{rule_set.name} ({rule_set.effective_from.isoformat()})",
            },
        ],
    }


def contract_terms(contract: Contract) -> dict[str, Any]:
    """The figures the fixed Arabic and English terms quote (documents/_contract_terms.html)."""
    rule_set = contract.rule_set
    return {
        "months": contract.contract_months,
        "delivery_days": contract.offer.delivery_days,
        "extension_days": rule_set.delivery_extension_days,
        "guarantee_days": rule_set.guarantee_days,
        "handover_hours": rule_set.handover_hours,
        "rest_hours": REST_HOURS,
        "vat_percent": format_amount(rule_set.vat_rate * 100),
        "rule_set_name": rule_set.name,
        "rule_set_from": rule_set.effective_from,
    }


def contract_pdf_context(contract: Contract) -> dict[str, Any]:
    """What documents/contract.html prints beside the statement: the number, terms and worker's section."""
    return {
        "contract_number": contract_number(contract),
        "terms": contract_terms(contract),
        "worker_section": worker_section(contract),
    }


def _with_facts(contract: Contract) -> Contract:
    return Contract.objects.select_related(
        "request__household", "office", "cv__nationality", "cv__occupation", "offer", "rule_set"
    ).get(pk=contract.pk)


@transaction.atomic
def contract_issue_document(*, contract: Contract):
    """Print the contract (once per version of what it states); the system's own act."""
    from musaned.documents.services import document_issue

    contract = _with_facts(contract)
    return document_issue(
        subject=contract,
        kind="contract",
        template="documents/contract.html",
        context=contract_pdf_context(contract),
        statement=contract_statement(contract),
        language="ar",
    )


def contract_document(contract: Contract):
    """The latest printed version of the contract, or None while it is being prepared."""
    from django.contrib.contenttypes.models import ContentType

    from musaned.documents.models import Document

    return (
        Document.objects.filter(
            subject_type=ContentType.objects.get_for_model(Contract),
            subject_id=str(contract.pk),
            kind="contract",
        )
        .order_by("-version")
        .first()
    )


CLOSED_LABELS = {
    RequestState.CANCELLED: gettext_lazy("Cancelled"),
    RequestState.VOID: gettext_lazy("Void: the office delivered too late"),
    RequestState.REJECTED: gettext_lazy("Ended: the visa was refused"),
    RequestState.RETURNED: gettext_lazy("Ended: the worker was returned in the guarantee period"),
}


def contract_document_status(*, contract: Contract) -> tuple[bool, str]:
    """Valid while the contract is live: not declined by the worker, and its case not cancelled or void."""
    contract = Contract.objects.select_related("request").get(pk=contract.pk)
    if contract.worker_declined_at is not None:
        return False, _("Declined by the worker")
    state = contract.request.state
    if state in CLOSED_LABELS:
        return False, str(CLOSED_LABELS[state])
    if contract.worker_accepted_at is None:
        return True, _("Valid: waiting for the worker's acceptance")
    return True, _("Valid")


# --- the ministry edits the worker-language templates ---------------------------------------------


def contract_template_errors(*, body: str, labels: Any) -> dict[str, list[str]]:
    """What stops a worker-language template from being stored, per field (empty when it is fine)."""
    errors: dict[str, list[str]] = {}
    if body_errors := template_errors(body or ""):
        errors["body"] = body_errors
    if not isinstance(labels, dict):
        errors["labels"] = [_("Write the words as a JSON object of key and text.")]
        return errors
    unknown = sorted(set(labels) - set(LABEL_KEYS))
    if unknown:
        errors["labels"] = [
            _("Unknown keys: %(unknown)s. Use only: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(LABEL_KEYS)}
        ]
    elif label_errors := [
        f"{key}: {error}" for key, text in labels.items() for error in template_errors(str(text))
    ]:
        errors["labels"] = label_errors
    return errors


@transaction.atomic
def contract_template_save(*, actor: Actor, template: ContractTemplate) -> ContractTemplate:
    """Add or correct a worker language (the admin site's save); checks every text before storing."""
    adding = template.pk is None
    if actor.is_delegate or not actor.user.has_perm(
        f"recruitment.{'add' if adding else 'change'}_contracttemplate"
    ):
        raise PermissionDenied(_("You are not allowed to change the contract templates."))
    if errors := contract_template_errors(body=template.body, labels=template.labels or {}):
        raise ValidationError(errors)
    stored = {} if adding else ContractTemplate.objects.filter(pk=template.pk).values().first()
    template.full_clean()
    template.save()
    after = ContractTemplate.objects.filter(pk=template.pk).values().first()
    audit_record(
        action="contract_template.saved",
        actor=actor,
        target=template,
        changes=model_changes(
            {key: value for key, value in (stored or {}).items() if key != "updated_at"},
            {key: value for key, value in after.items() if key != "updated_at"},
        ),
    )
    return template
