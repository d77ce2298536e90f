"""The office's side of requests, in viewflow's workflow application: its inbox, queue and archive, the
request's page, and the task of sending offers. Mounted at /recruitment/office/ (see request_urls.py).

Every page of the application passes `office_work_guard` first: only the office's own staff, signed in
as themselves, get in, and a task or request of another office does not exist for them (404). The
lists show the tasks created for the person's own office only.
"""

from __future__ import annotations

from decimal import Decimal
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponseRedirect
from django.urls import URLResolver, path
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.generic import FormView, RedirectView
from viewflow.urls import Site
from viewflow.utils import viewprop
from viewflow.workflow.flow import FlowAppViewset
from viewflow.workflow.flow.views import (
    DetailProcessView,
    FlowArchiveListView,
    FlowInboxListView,
    FlowQueueListView,
)
from viewflow.workflow.models import Task

from households.models import MaritalStatus
from musaned.policy.services import NoRulesInForce, rules_in_force

from . import requests as services
from .models import (
    Office,
    PriceListEntry,
    RecruitmentProcess,
    RecruitmentRequest,
    Religion,
    RequestMode,
    WorkerCV,
)
from .selectors import membership_of


def _office_type_id() -> int:
    return ContentType.objects.get_for_model(Office).pk


def office_work_guard(view):
    """The office's staff only, as themselves; another office's tasks and requests are not found."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.actor is not None and request.actor.is_delegate:
            raise PermissionDenied(_("Switch back to your own account to work the office's requests."))
        membership = membership_of(user)
        if membership is None or not user.has_perm("recruitment.work_requests"):
            raise PermissionDenied(_("This work queue is for the staff of recruitment offices."))
        task_pk, process_pk = kwargs.get("task_pk"), kwargs.get("process_pk")
        if task_pk is not None:
            own_task = Task.objects.filter(
                pk=task_pk,
                process_id=process_pk,
                owner_permission_content_type_id=_office_type_id(),
                owner_permission_obj_pk=str(membership.office_id),
            ).exists()
            if not own_task:
                raise Http404(_("No such task in your office's work."))
        elif process_pk is not None and not _request_with(process_pk, membership.office_id):
            raise Http404(_("No such request in your office's work."))
        request.membership = membership
        return view(request, *args, **kwargs)

    return guarded


def _request_with(process_pk: int, office_id: int) -> bool:
    request_id = RecruitmentProcess.objects.filter(pk=process_pk).values_list("artifact_object_id", flat=True)
    return RecruitmentRequest.objects.filter(pk__in=request_id, office_id=office_id).exists()


def guard_patterns(patterns: list) -> list:
    """Put `office_work_guard` in front of every view of the application (nested includes too)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            guard_patterns(pattern.url_patterns)
        else:
            pattern.callback = office_work_guard(pattern.callback)
    return patterns


# --- lists ----------------------------------------------------------------------------------------


def _own_office(queryset, request):
    membership = membership_of(request.user)
    return queryset.filter(
        owner_permission_content_type_id=_office_type_id(),
        owner_permission_obj_pk=str(membership.office_id if membership else ""),
    )


def _with_request_facts(queryset):
    """The request's number, occupation and nationality read with the tasks, not once per row."""
    requests = RecruitmentRequest.objects.filter(pk=OuterRef("process__artifact_object_id"))
    facts = {
        "request_reference": "reference",
        "request_occupation_ar": "visa__occupation__name_ar",
        "request_occupation_en": "visa__occupation__name_en",
        "request_nationality_ar": "visa__nationality__name_ar",
        "request_nationality_en": "visa__nationality__name_en",
    }
    return queryset.annotate(**{name: Subquery(requests.values(path)[:1]) for name, path in facts.items()})


class _Columns:
    """The request each task is about, in the page's language (viewflow's own summary would read the
    request once per row)."""

    def request_summary(self, task) -> str:
        suffix = "en" if (get_language() or "ar").startswith("en") else "ar"
        return " · ".join(
            [
                task.request_reference or "",
                getattr(task, f"request_occupation_{suffix}") or "",
                getattr(task, f"request_nationality_{suffix}") or "",
            ]
        )

    request_summary.short_description = gettext_lazy("Request")


class InboxView(_Columns, FlowInboxListView):
    columns = ("task_id", "task_title", "request_summary", "created")

    @viewprop
    def queryset(self):
        return _with_request_facts(_own_office(super().queryset, self.request))


class QueueView(_Columns, FlowQueueListView):
    columns = ("task_id", "task_title", "request_summary", "created")

    @viewprop
    def queryset(self):
        return _with_request_facts(_own_office(super().queryset, self.request))


class ArchiveView(_Columns, FlowArchiveListView):
    columns = ("task_id", "task_title", "request_summary", "created", "finished")

    @viewprop
    def queryset(self):
        return _with_request_facts(_own_office(super().queryset, self.request))

    def task_title(self, task) -> str:
        return task.title

    task_title.short_description = gettext_lazy("Task")


def request_facts(request: RecruitmentRequest) -> dict[str, Any]:
    """What the office sees of a request: the visa it is for, the kind of request and the deadline."""
    return {
        "item": request,
        "visa": request.visa,
        "household_city": request.household.address_city or request.household.city,
        "named": request.mode == RequestMode.NAMED,
    }


class OfficeRequestView(DetailProcessView):
    """A request as the office sees it: its facts, the office's own tasks and offers, the worker's answer."""

    template_name = "recruitment/requests/office/request.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.object.request
        if request is None:
            raise Http404
        office_id = self.request.membership.office_id
        context.update(request_facts(request))
        context["task_list"] = _own_office(context["task_list"], self.request)
        context["offers"] = request.offers.filter(office_id=office_id).select_related("cv")
        context["contracts"] = request.contracts.filter(office_id=office_id).select_related("cv")
        return context


class OfficeWorkApp(FlowAppViewset):
    """The queue of requests for office staff; the flow-wide pages (dashboard, charts, every process,
    bulk actions, cancelling) are left out: an office sees only its own tasks."""

    title = gettext_lazy("Recruitment requests")
    inbox_view_class = InboxView
    queue_view_class = QueueView
    archive_view_class = ArchiveView
    process_detail_view_class = OfficeRequestView
    process_list_path = None
    process_cancel_path = None
    task_list_path = None
    chart_path = None
    flow_chart_path = None
    tasks_assign_path = None
    tasks_unassign_path = None

    @property
    def index_path(self):
        return path("", RedirectView.as_view(url="queue/"), name="index")

    def get_context_data(self, request):
        """The menu's counts, of the person's own office's tasks only."""
        manager = Task._default_manager
        flows = [self._flow_class]
        return {
            "user_inbox": _own_office(manager.inbox(flows, request.user), request),
            "user_queue": _own_office(manager.queue(flows, request.user), request),
        }

    def has_view_permission(self, user, obj=None) -> bool:
        """Let every request through to office_work_guard, which decides (and sends strangers to sign in)."""
        return True


def office_work_urls(flow_class) -> list:
    """The office staff's workflow application, every page behind the office guard."""
    site = Site(
        title=gettext_lazy("Office work"),
        viewsets=[OfficeWorkApp(flow_class, app_name="work", icon="work")],
    )
    site.parent_namespace = "requests"
    patterns, app_name, namespace = site.urls
    return [path("office/", (guard_patterns(patterns), app_name, namespace))]


# --- the task: send offers ------------------------------------------------------------------------


class CVChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, cv: WorkerCV) -> str:
        return _("%(name)s · %(age)s years · %(years)s years' experience · %(salary)s SAR a month") % {
            "name": cv.name,
            "age": _age(cv),
            "years": cv.experience_years,
            "salary": cv.monthly_salary,
        }


def _age(cv: WorkerCV) -> int:
    today, born = timezone.localdate(), cv.date_of_birth
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class OffersForm(forms.Form):
    cvs = CVChoice(
        label=gettext_lazy("Workers to offer"),
        queryset=WorkerCV.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one worker to offer.")},
    )
    price = forms.DecimalField(
        label=gettext_lazy("Price excl. VAT (SAR)"),
        required=False,
        min_value=Decimal("1"),
        max_digits=12,
        decimal_places=2,
        help_text=gettext_lazy("Leave empty for your listed price; you may offer less, never more."),
    )

    def __init__(self, *args, cvs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cvs"].queryset = cvs


class NamedWorkerForm(forms.Form):
    """What the office adds to the household's facts to publish the named worker's CV."""

    date_of_birth = forms.DateField(
        label=gettext_lazy("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    religion = forms.ChoiceField(label=gettext_lazy("Religion"), choices=Religion.choices)
    marital_status = forms.ChoiceField(label=gettext_lazy("Marital status"), choices=MaritalStatus.choices)
    languages = forms.CharField(label=gettext_lazy("Languages spoken"), max_length=200)
    experience_years = forms.IntegerField(
        label=gettext_lazy("Years of experience"), min_value=0, max_value=60
    )
    skills = forms.CharField(
        label=gettext_lazy("Skills"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    monthly_salary = forms.DecimalField(
        label=gettext_lazy("Monthly salary (SAR)"), min_value=Decimal("1"), max_digits=10, decimal_places=2
    )
    price = OffersForm.base_fields["price"]


class NamedOfferForm(forms.Form):
    price = OffersForm.base_fields["price"]


def _matching_cvs(request: RecruitmentRequest, office: Office):
    visa = request.visa
    return (
        WorkerCV.objects.filter(
            office=office,
            available=True,
            nationality=visa.nationality_id,
            occupation=visa.occupation_id,
            gender=visa.gender,
        )
        .exclude(offers__request=request)
        .order_by("name", "pk")
    )


def _errors_into(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class OfficeOffersView(FormView):
    """The office's task: offer workers (or the named worker) to the household before the deadline."""

    template_name = "recruitment/requests/office/send_offers.html"

    def dispatch(self, request, *args, **kwargs):
        self.recruitment_request = request.activation.process.request
        if self.recruitment_request is None:
            raise Http404
        self.office = request.membership.office
        self.named = self.recruitment_request.mode == RequestMode.NAMED
        self.named_cv = (
            WorkerCV.objects.filter(
                office=self.office, passport_number=self.recruitment_request.named_worker_passport
            ).first()
            if self.named
            else None
        )
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        if not self.named:
            return OffersForm
        return NamedOfferForm if self.named_cv is not None else NamedWorkerForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if not self.named:
            kwargs["cvs"] = _matching_cvs(self.recruitment_request, self.office)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visa = self.recruitment_request.visa
        entry = PriceListEntry.objects.filter(
            office=self.office, nationality=visa.nationality_id, occupation=visa.occupation_id
        ).first()
        try:
            country_rule = rules_in_force(on=timezone.localdate()).rule_for_country(visa.nationality)
        except NoRulesInForce:
            country_rule = None
        context.update(request_facts(self.recruitment_request))
        context.update(
            {
                "entry": entry,
                "ceiling": country_rule.price_ceiling if country_rule else None,
                "named_cv": self.named_cv,
                "task": self.request.activation.task,
                "process": self.request.activation.process,
            }
        )
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        actor, request = self.request.actor, self.recruitment_request
        try:
            with transaction.atomic():
                if not self.named:
                    cvs = list(data["cvs"])
                elif self.named_cv is not None:
                    cvs = [self.named_cv]
                else:
                    details = {key: value for key, value in data.items() if key != "price"}
                    cvs = [services.named_worker_cv(actor=actor, request=request, details=details)]
                for cv in cvs:
                    services.offer_send(actor=actor, request=request, cv=cv, price=data.get("price"))
        except ValidationError as error:
            _errors_into(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(count)d offer(s) sent. The household is told and can now choose.") % {"count": len(cvs)},
        )
        return HttpResponseRedirect(self.request.activation.get_success_url(self.request))
