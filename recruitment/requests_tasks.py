"""Background work for requests: printing contracts, and the sweep that closes what no longer waits.

Deadlines (the office's answer, the worker's acceptance) are the process's timers, fired by the beat
task musaned.workflow.fire_workflow_timers.
"""

from celery import shared_task

from . import contracts
from . import requests as services
from .models import Contract, RecruitmentRequest


@shared_task
def contract_render_document(contract_id: int) -> None:
    """Print the contract to PDF; a repeated run stores nothing new."""
    contracts.contract_issue_document(contract=Contract.objects.get(pk=contract_id))


@shared_task
def requests_sweep() -> dict[str, int]:
    """Every few minutes: reject requests whose new visa was refused, and end the process of requests
    closed elsewhere (cancelled, say) so that no task of theirs stays in an office's queue."""
    rejected = sum(
        services.request_close_for_refused_visa(request=RecruitmentRequest.objects.get(pk=pk))
        for pk in services.requests_with_refused_visa()
    )
    ended = sum(
        services.request_end_stale_process(request=RecruitmentRequest.objects.get(pk=pk))
        for pk in services.requests_with_stale_process()
    )
    return {"rejected": rejected, "processes_ended": ended}
