"""The visa-review officers' pages inside the workflow application: a case, and the decision on it.

The queue, inbox and archive are viewflow's own (mounted in officer_urls.py); they list only what the
signed-in officer may take. These views add what an officer needs to decide: the household's facts,
its income proofs, what each review rule found, and the decision form, which calls visa_decide.
Everyone outside the visa-review group is refused here, whatever the task or process number.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from viewflow.workflow.flow.views import (
    DetailProcessView,
    FlowArchiveListView,
    FlowInboxListView,
    FlowQueueListView,
)

from households.eligibility import household_eligibility
from households.selectors import proofs_of, workers_of
from musaned.policy.services import NoRulesInForce

from . import rules, selectors, services
from .models import RejectionReason, Visa

APPROVE, REJECT = "approve", "reject"


def _require_reviewer(user) -> None:
    if not user.has_perm("visas.review_visa"):
        raise PermissionDenied(_("Only officers of the visa review group can open visa cases."))


def case_context(visa: Visa, *, can_download: bool) -> dict[str, Any]:
    """Everything the case panel shows, read in a bounded number of queries."""
    household = visa.household
    try:
        eligibility = household_eligibility(household=household)
    except NoRulesInForce:
        eligibility = None
    return {
        "visa": visa,
        "household": household,
        "eligibility": eligibility,
        "workers": list(workers_of(household).filter(ended_on__isnull=True)),
        "proofs": list(proofs_of(household)),
        "findings": [(finding, rules.describe(finding)) for finding in selectors.review_findings(visa=visa)],
        "can_download": can_download,
    }


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[(APPROVE, gettext_lazy("Approve: issue the visa")), (REJECT, gettext_lazy("Reject"))],
        widget=forms.RadioSelect,
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason for a rejection"),
        choices=[("", "—"), *RejectionReason.choices],
        required=False,
    )
    note = forms.CharField(
        label=gettext_lazy("Note to the household"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Required when the reason is \u201cother\u201d. The household reads it."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == REJECT:
            if not data.get("reason"):
                self.add_error("reason", _("Choose why the application is rejected."))
            elif data["reason"] == RejectionReason.OTHER and not data.get("note", "").strip():
                self.add_error("note", _("Explain the reason in the note."))
        return data


class OfficerReviewView(FormView):
    """The officer's task: read the case and approve or reject it (viewflow has started the task)."""

    template_name = "visas/officer/review.html"
    form_class = DecisionForm

    def dispatch(self, request, *args, **kwargs):
        _require_reviewer(request.user)
        self.visa = request.activation.process.visa
        if self.visa is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            case_context(self.visa, can_download=self.request.user.has_perm("households.download_any_proof"))
        )
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.visa_decide(
                actor=self.request.actor,
                visa=self.visa,
                approve=data["decision"] == APPROVE,
                reason=data.get("reason", ""),
                note=data.get("note", ""),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
            return self.form_invalid(form)
        if data["decision"] == APPROVE:
            messages.success(self.request, _("The visa is issued. The household is told."))
        else:
            messages.success(self.request, _("The application is rejected. The household is told."))
        return HttpResponseRedirect(self.request.activation.get_success_url(self.request))


@method_decorator(login_required, name="dispatch")
class CaseDetailView(DetailProcessView):
    """A case as it stands, with its steps in the process (open and closed cases alike)."""

    template_name = "visas/officer/case.html"

    def dispatch(self, request, *args, **kwargs):
        _require_reviewer(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visa = self.object.visa
        if visa is None:
            raise Http404
        context.update(
            case_context(visa, can_download=self.request.user.has_perm("households.download_any_proof"))
        )
        context["timeline"] = selectors.visa_timeline(visa=visa)
        return context


class _BriefColumn:
    """The task lists: each row's application read with the page (not one query per row), and the summary
    column under a translated heading (viewflow names it after the attribute)."""

    def get_queryset(self):
        applications = Visa.objects.select_related("occupation", "nationality")
        return super().get_queryset().prefetch_related(GenericPrefetch("process__artifact", [applications]))

    def brief(self, task) -> str:
        return task.brief

    brief.short_description = gettext_lazy("Brief")


class InboxView(_BriefColumn, FlowInboxListView):
    pass


class QueueView(_BriefColumn, FlowQueueListView):
    pass


class ArchiveView(_BriefColumn, FlowArchiveListView):
    def process_summary(self, task) -> str:
        return super().process_summary(task)

    process_summary.short_description = gettext_lazy("Process brief")
