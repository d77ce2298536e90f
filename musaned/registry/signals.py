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

A signal is sent once per change of status (a corrected date or iqama number announces nothing), after
the batch that wrote it has been committed, so a receiver always finds the record saved. Re-reading a
feed announces nothing again, and a run resumed after a failure does not repeat what its committed
batches announced. Receivers must be quick (enqueue a task for slow work) and should be idempotent; an
error in one is logged and does not stop the feed. A process killed between a batch's commit and its
announcements loses them: a receiver that must never miss one can reconcile against
WorkerRecord.updated_at and last_run.
"""

from django.dispatch import Signal

worker_arrived = Signal()
worker_exited = Signal()
worker_absent = Signal()
worker_imprisoned = Signal()
worker_deceased = Signal()
