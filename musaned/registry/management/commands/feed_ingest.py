"""Read the passports feed of one day now, as the nightly task does (for operators and the demo)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from musaned.integrations.base import GatewayError, RecordingGateway
from musaned.integrations.fakes import FakePassportsGateway
from musaned.registry.services import feed_ingest


class Command(BaseCommand):
    help = "Read the passports service's feed of a day into the workers' registry (resumes a failed run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, help="YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--size", type=int, help="Workers in the fake service's feed (demo only; INTEGRATIONS_MODE=fake)"
        )

    def handle(self, *args, date: dt.date | None, size: int | None, **options) -> None:
        gateway = None
        if size is not None:
            if settings.INTEGRATIONS_MODE != "fake" or size < 0:
                raise CommandError(
                    _("--size sets the size of the fake service's feed: a number, in fake mode.")
                )
            gateway = RecordingGateway(FakePassportsGateway(feed_size=size))
        run_date = date or timezone.localdate()
        try:
            run = feed_ingest(run_date=run_date, gateway=gateway)
        except GatewayError as exc:
            raise CommandError(
                _("The feed of %(date)s stopped: %(error)s. Run the command again to resume it.")
                % {"date": run_date, "error": exc}
            ) from exc
        seconds = run.duration.total_seconds()
        self.stdout.write(
            _(
                "Feed of %(date)s %(state)s in %(seconds).1f s: %(read)s read, %(added)s new, %(changed)s "
                "changed, %(unchanged)s unchanged, %(malformed)s set aside, %(events)s events."
            )
            % {
                "date": run.run_date,
                "state": run.get_state_display(),
                "seconds": seconds,
                "read": run.read,
                "added": run.added,
                "changed": run.changed,
                "unchanged": run.unchanged,
                "malformed": run.malformed,
                "events": run.events,
            }
        )
