"""What the registry announces when the passports feed says a worker's situation changed.

The registry sits below households, visas and recruitment: it never calls them; they connect receivers
to these signals (in their AppConfig.ready) and run their own services, for instance:

- worker_arrived: the recruitment case with this passport number moves to "arrived";
- worker_exited: a final exit within the guarantee period starts the return path;
- worker_absent, worker_imprisoned: the employment is flagged for the household and the ministry;
- worker_deceased: the employment and any open case are closed.

Every signal is sent with sender=WorkerRecord and these keyword arguments:

- passport_number (str), iqama_number (str, "" when the service has none yet),
- status_date (datetime.date | None): the day the new status took effect,
- previous_status (str | None): the status before, None for a worker the registry did not know,
- run_id (int): the FeedRun that saw the change.

A signal is sent for each change of status (a corrected date or iqama number announces nothing), by a
background worker after the batch that wrote it has been committed, so a receiver always finds the
record saved and never slows the reading down. Re-reading a
feed announces nothing again, and a run resumed after a failure does not repeat what its committed
batches announced.

An announcement is never lost: each batch writes its events (FeedEvent) in the same transaction as its
records, and an event is deleted only once its signal has been sent. A process killed in between
leaves the events behind, and they are sent when the next run starts or by the scheduled announcer
(every 10 minutes). So a signal is sent at least once, and in rare cases twice: receivers must be
idempotent (finding the work already done is the normal case of a repeat) and quick (enqueue a task for
slow work). An error in one receiver is logged and stops neither the others nor the feed; the event
is not sent again for it.
"""

from django.dispatch import Signal

worker_arrived = Signal()
worker_exited = Signal()
worker_absent = Signal()
worker_imprisoned = Signal()
worker_deceased = Signal()
