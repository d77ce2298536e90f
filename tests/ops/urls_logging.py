"""A page that logs and, once its write commits, enqueues the worker probe (which logs too)."""

import logging

from django.db import transaction
from django.http import HttpResponse
from django.urls import path

from musaned.ops.tasks import probe

log = logging.getLogger("tests.ops.page")


def page(request):
    log.info("page served")
    with transaction.atomic():
        transaction.on_commit(lambda: probe.delay(token="from-the-page"))
    return HttpResponse("ok")


urlpatterns = [path("logged/", page)]
