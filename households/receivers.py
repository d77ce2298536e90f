"""What a household's employment becomes when the nightly passports feed reports on its worker.

The registry announces each change of a worker's status once (musaned/registry/signals.py); households
act on the employment: an absence or custody flags it, a return to residence ends an absence, a final
exit or a death ends it. A return within the guarantee is the recruitment stage's own receiver.
"""

from django.dispatch import receiver

from musaned.integrations.interfaces import TravelStatus
from musaned.registry.signals import (
    worker_absent,
    worker_arrived,
    worker_deceased,
    worker_exited,
    worker_imprisoned,
)

from . import services
from .models import FlagKind


@receiver(worker_absent, dispatch_uid="households.worker_absent")
def flag_absence(sender, passport_number, iqama_number, status_date, run_id, **kwargs) -> None:
    services.employment_flag_from_passports(
        passport_number=passport_number,
        iqama_number=iqama_number,
        kind=FlagKind.ABSENT,
        since=status_date,
        run_id=run_id,
    )


@receiver(worker_imprisoned, dispatch_uid="households.worker_imprisoned")
def flag_custody(sender, passport_number, iqama_number, status_date, run_id, **kwargs) -> None:
    services.employment_flag_from_passports(
        passport_number=passport_number,
        iqama_number=iqama_number,
        kind=FlagKind.IMPRISONED,
        since=status_date,
        run_id=run_id,
    )


@receiver(worker_arrived, dispatch_uid="households.worker_arrived")
def end_absence_on_return(sender, passport_number, iqama_number, status_date, **kwargs) -> None:
    services.employment_flags_clear_on_return(
        passport_number=passport_number, iqama_number=iqama_number, on=status_date
    )


@receiver(worker_exited, dispatch_uid="households.worker_exited")
def end_employment_on_exit(sender, passport_number, iqama_number, status_date, **kwargs) -> None:
    services.employment_end_from_passports(
        passport_number=passport_number,
        iqama_number=iqama_number,
        on=status_date,
        status=TravelStatus.EXITED,
    )


@receiver(worker_deceased, dispatch_uid="households.worker_deceased")
def end_employment_on_death(sender, passport_number, iqama_number, status_date, **kwargs) -> None:
    services.employment_end_from_passports(
        passport_number=passport_number,
        iqama_number=iqama_number,
        on=status_date,
        status=TravelStatus.DECEASED,
    )
