from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import health_report


@never_cache
@require_GET
def health(request):
    """The platform's health as JSON, for load balancers and monitoring: no sign-in, no secrets.

    200 when the database and the broker answer, 503 otherwise; every check reports its status.
    """
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503, json_dumps_params={"ensure_ascii": False})
