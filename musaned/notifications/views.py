from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import selectors, services
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
