from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services, texts
from .models import Notification

PAGE_SIZE = 20


@login_required
def inbox(request):
    """The signed-in person's own notifications (a delegate sees their own, not the principal's)."""
    page = Paginator(selectors.inbox_for(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    unread = selectors.unread_count(user=request.user)
    return render(request, "notifications/inbox.html", {"page": page, "unread": unread})


@login_required
@require_POST
def mark_read(request, pk: int):
    """Mark one notification read; with "open", go on to the page it links to."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.notification_mark_read(actor=request.actor, notification=notification)
    if "open" in request.POST and url_has_allowed_host_and_scheme(
        notification.url,
        allowed_hosts={request.get_host(), urlsplit(settings.SITE_URL).netloc},
        require_https=request.is_secure(),
    ):
        return redirect(notification.url)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request):
    services.notifications_mark_all_read(actor=request.actor)
    return redirect("notifications:inbox")


@login_required
def preferences(request):
    """Per topic, whether e-mails and text messages come; the inbox keeps everything either way."""
    topics = selectors.topics_for(request.user)
    if request.method == "POST":
        choices = {
            topic: {"email": f"{topic}-email" in request.POST, "sms": f"{topic}-sms" in request.POST}
            for topic in topics
        }
        services.notification_preferences_save(actor=request.actor, choices=choices)
        messages.success(request, _("Your choices are saved."))
        return redirect("notifications:preferences")
    stored = selectors.preferences_of(user=request.user)
    rows = [
        {
            "topic": topic,
            "label": texts.TOPIC_LABELS[topic],
            "email": stored[topic].email if topic in stored else True,
            "sms": stored[topic].sms if topic in stored else True,
        }
        for topic in topics
    ]
    return render(request, "notifications/preferences.html", {"rows": rows})
