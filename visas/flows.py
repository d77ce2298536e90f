"""Who acts next on a visa application: the household pays, the rules review, an officer decides when
the rules ask for one, and the foreign ministry activates the visa.

The process routes and assigns; what the application is stays in Visa.state, written only by the
services that each node calls. Routing reads that state afresh, never a copy of it.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.models import Process

from musaned.workflow import CeleryJob

from . import services
from .models import Visa, VisaState
from .officer_views import OfficerReviewView

# Supervisors hear about a referred case this long before its decision is due.
LATE_ALERT_LEAD = dt.timedelta(hours=4)


class VisaProcess(Process):
    """One application's process; the application itself is the artifact."""

    class Meta:
        proxy = True
        verbose_name = _("visa application process")
        verbose_name_plural = _("visa application processes")

    @cached_property
    def visa(self) -> Visa | None:
        """The application, read once per process object (for display and to pass on: services read it
        again under lock, and the gates below read its state afresh)."""
        return self.artifact


def _state(activation) -> str | None:
    return (
        Visa.objects.filter(pk=activation.process.artifact_object_id).values_list("state", flat=True).first()
    )


class VisaFlow(flow.Flow):
    """The visa application's process (titles below are translated, so not taken from this text)."""

    process_title = _("Visa application")
    process_description = _(
        "From the application to the activated visa: payment, automatic review, an officer's decision when "
        "the rules refer the case, and activation at the Ministry of Foreign Affairs."
    )
    process_class = VisaProcess
    # Payments, decisions, timers and activation reports may reach one process at the same moment.
    lock_impl = lock.SelectForUpdateLock(nowait=False)
    process_summary_template = "{{ process.visa.reference }} · {{ process.visa.get_state_display }}"

    start = (
        flow.StartHandle(this.start_process).Annotation(title=_("Application submitted")).Next(this.check_fee)
    )
    check_fee = (
        flow.If(this.fee_due)
        .Annotation(title=_("Is there a fee to pay?"))
        .Then(this.await_payment)
        .Else(this.auto_review)
    )
    await_payment = flow.Handle().Annotation(title=_("Payment of the fee")).Next(this.auto_review)
    auto_review = flow.Function(this.review).Annotation(title=_("Automatic review")).Next(this.route)
    route = (
        flow.Switch()
        .Annotation(title=_("Outcome of the automatic review"))
        .Case(this.officer_review, this.referred)
        .Case(this.activate, this.issued)
        .Default(this.end)
    )
    officer_review = (
        flow.View(OfficerReviewView.as_view())
        .Annotation(
            title=_("Officer's decision"),
            summary_template="{{ process.visa.reference }} · {{ process.visa.occupation }} · "
            "{{ process.visa.nationality }}",
        )
        .Permission("visas.review_visa")
        .OnTimeout(this.late_alert_at, this.alert_late, interrupting=False, title=_("Decision running late"))
        .Next(this.check_decision)
    )
    check_decision = flow.If(this.issued).Annotation(title=_("Approved?")).Then(this.activate).Else(this.end)
    activate = (
        CeleryJob("visas.tasks.visa_activate", this.activation_kwargs)
        .Annotation(title=_("Activation at the Ministry of Foreign Affairs"))
        .Next(this.end)
    )
    alert_late = (
        flow.Function(this.alert_supervisors).Annotation(title=_("Alert the supervisors")).Next(this.alerted)
    )
    alerted = flow.End().Annotation(title=_("Supervisors alerted"))
    end = flow.End().Annotation(title=_("Closed"))

    def start_process(self, activation, visa: Visa):
        activation.process.artifact = visa
        return activation.process

    def fee_due(self, activation) -> bool:
        return _state(activation) == VisaState.AWAITING_PAYMENT

    def review(self, activation) -> None:
        services.visa_review_automatically(visa=activation.process.visa)

    def referred(self, activation) -> bool:
        return _state(activation) == VisaState.UNDER_REVIEW

    def issued(self, activation) -> bool:
        return _state(activation) == VisaState.ISSUED

    def late_alert_at(self, activation) -> dt.datetime:
        due = activation.process.visa.decision_due_at
        return due - LATE_ALERT_LEAD if due else timezone.now()

    def alert_supervisors(self, activation) -> None:
        services.visa_alert_late_decision(visa=activation.process.visa)

    def activation_kwargs(self, activation) -> dict[str, int]:
        return {"visa_id": activation.process.artifact_object_id}
