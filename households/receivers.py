"""What a household's employment becomes when the nightly passports feed reports on its worker.

The registry announces each change of a worker's status at least once (musaned/registry/signals.py);
households act on the employment: an absence or custody flags it, a return to residence ends an
absence, a final exit or a death ends it. A return within the guarantee is the recruitment stage's
own receiver.
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

FLAG_OF = {worker_absent: FlagKind.ABSENT, worker_imprisoned: FlagKind.IMPRISONED}
END_OF = {worker_exited: TravelStatus.EXITED, worker_deceased: TravelStatus.DECEASED}


@receiver(list(FLAG_OF), dispatch_uid="households.flag_employment")
def flag_employment(sender, signal, passport_number, iqama_number, status_date, run_id, **kwargs) -> None:
    services.employment_flag_from_passports(
        passport_number=passport_number,
        iqama_number=iqama_number,
        kind=FLAG_OF[signal],
        since=status_date,
        run_id=run_id,
    )


@receiver(worker_arrived, dispatch_uid="households.worker_arrived")
def end_absence_on_return(sender, passport_number, iqama_number, status_date, **kwargs) -> None:
    services.employment_flags_clear_on_return(
        passport_number=passport_number, iqama_number=iqama_number, on=status_date
    )


@receiver(list(END_OF), dispatch_uid="households.end_employment")
def end_employment(sender, signal, passport_number, iqama_number, status_date, **kwargs) -> None:
    services.employment_end_from_passports(
        passport_number=passport_number, iqama_number=iqama_number, on=status_date, status=END_OF[signal]
    )
