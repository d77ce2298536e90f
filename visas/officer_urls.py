"""The visa-review application for ministry officers, mounted at /ministry/visas/.

viewflow's Material UI provides the dashboard, inbox, queue and archive of the visa process; the case
page and the decision form are ours (officer_views.py). Every page needs the flow's view permission
(visas.view_visaprocess) and ours also visas.review_visa: both belong to the visa-review group.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site
from viewflow.workflow.flow import FlowAppViewset

from .flows import VisaFlow
from .officer_views import ArchiveView, CaseDetailView, InboxView, QueueView

app_name = "visa_review"


class VisaReviewApp(FlowAppViewset):
    title = _("Visa applications")
    process_detail_view_class = CaseDetailView
    inbox_view_class = InboxView
    queue_view_class = QueueView
    archive_view_class = ArchiveView


site = Site(
    title=_("Visa review"),
    viewsets=[VisaReviewApp(VisaFlow, app_name="applications", icon="assignment_ind")],
)
site.parent_namespace = app_name

urlpatterns = [path("", site.urls)]
