"""Records per second reading the nightly passports feed at national scale, on PostgreSQL.

A million workers are stored, then three ways of applying a feed of a million records in which about
1% changed are measured in the same run:

(a) the project's `feed_ingest`: streamed in batches, every line checked, broken lines set aside,
    only changes written (COPY into a staging table, set-based UPDATE and INSERT), events and counts
    recorded, resumable;
(b) a naive per-row ORM update: fetch the worker, compare, save; measured on a sample (the first
    PER_ROW_SAMPLE records, or fewer if that takes over PER_ROW_MAX_SECONDS), as records/s;
(c) raw SQL: COPY of the feed's lines into a staging table and one set-based UPDATE (no checks, no
    events, no counts, not resumable).

Each reads the next day's feed of the fake passports service, so each finds about 1% to change. The
benchmark works in a database of its own (BENCH_DATABASE, created and migrated when missing): the demo's
and the tests' data are never touched.
"""

import datetime as dt
import itertools
import resource
import time
from pathlib import Path

import psycopg
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from musaned.integrations.fakes import FakePassportsGateway
from musaned.registry.models import FeedRun, WorkerRecord
from musaned.registry.services import feed_ingest

BENCH_DATABASE = "musaned_bench"
WORKERS = 1_000_000
CHANGED = 0.01
PER_ROW_SAMPLE = 20_000
PER_ROW_MAX_SECONDS = 30  # on a slow machine the sample stops early: the rate stays a rate
SOURCE_SAMPLE = 200_000
SEED = 2024
FIRST_DAY = dt.date(2026, 1, 1)  # the stored state; (a), (c) and (b) read the three days after it
TARGET_OF_RAW_SQL = 0.30
TARGET_OVER_PER_ROW = 20.0
TARGET_PEAK_MB = 300


def run() -> None:
    if connection.vendor != "postgresql":
        print(
            "Skipped: the feed benchmark measures PostgreSQL's COPY and set-based UPDATE; "
            "set DATABASE_URL to a PostgreSQL database (as .ci/run does) to run it."
        )
        return
    original = connection.settings_dict["NAME"]
    use_database(BENCH_DATABASE)
    try:
        measure()
    finally:
        use_database(original)


def use_database(name: str) -> None:
    """Point the default connection at `name`, creating and migrating it if it does not exist."""
    connection.close()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**(params | {"dbname": "postgres"}), autocommit=True) as admin:
        missing = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None
        if missing:
            admin.execute(f'CREATE DATABASE "{name}"')
    connection.settings_dict["NAME"] = name
    if missing:
        print(f"Created the database {name}; migrating it (once).", flush=True)
    call_command("migrate", verbosity=0, interactive=False)


def fake_feed(size: int = WORKERS) -> FakePassportsGateway:
    return FakePassportsGateway(feed_size=size, seed=SEED, changed_fraction=CHANGED)


def measure() -> None:
    started = time.perf_counter()
    store_workers()
    stored_in = time.perf_counter() - started
    print(f"{WORKERS:,} workers stored (COPY, indexes, ANALYZE) in {stored_in:.1f} s.")
    print(f"Each feed: {WORKERS:,} records, about {CHANGED:.0%} changed since the day before.", flush=True)

    source = feed_source_rate()
    print(
        f"  the fake service alone, generating lines:     {source:>10,.0f} records/s"
        f"   (every path reads its lines; measured on {SOURCE_SAMPLE:,})",
        flush=True,
    )

    project_rate, project_run, peak_mb, peak_how = measure_project(FIRST_DAY + dt.timedelta(days=1))
    print(
        f"  (a) project feed_ingest:                      {project_rate:>10,.0f} records/s"
        f"   ({project_run.read:,} read, {project_run.changed:,} changed, {project_run.events:,} events,"
        f" {project_run.unchanged:,} untouched)",
        flush=True,
    )
    raw_rate, raw_changed = measure_raw_sql(FIRST_DAY + dt.timedelta(days=2))
    print(
        f"  (c) raw SQL, COPY + one UPDATE:               {raw_rate:>10,.0f} records/s"
        f"   ({WORKERS:,} read, {raw_changed:,} changed)",
        flush=True,
    )
    per_row_rate, per_row_measured, per_row_changed = measure_per_row(FIRST_DAY + dt.timedelta(days=3))
    print(
        f"  (b) naive per-row ORM update:                 {per_row_rate:>10,.0f} records/s"
        f"   (measured on the first {per_row_measured:,} records of its feed, {per_row_changed:,} changed)"
    )

    of_raw, over_per_row = project_rate / raw_rate, project_rate / per_row_rate
    print(
        f"  project / raw SQL: {of_raw:.2f} "
        f"(aim >= {TARGET_OF_RAW_SQL:.2f}: {verdict(of_raw >= TARGET_OF_RAW_SQL)})"
    )
    print(
        f"  project / per-row: {over_per_row:.0f}x (aim >= {TARGET_OVER_PER_ROW:.0f}x: "
        f"{verdict(over_per_row >= TARGET_OVER_PER_ROW)})"
    )
    print(
        f"  peak memory of the project path: {peak_mb:.0f} MB ({peak_how}; "
        f"aim < {TARGET_PEAK_MB} MB: {verdict(peak_mb < TARGET_PEAK_MB)})"
    )
    print(f"  total time: {time.perf_counter() - started:.0f} s")


def verdict(met: bool) -> str:
    return "met" if met else "missed"


def store_workers() -> None:
    """The registry as the feed of FIRST_DAY left it: a million rows, COPied in."""
    now = timezone.now().isoformat()
    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {WorkerRecord._meta.db_table}, {FeedRun._meta.db_table} RESTART IDENTITY CASCADE"
        )
        columns = "passport_number, iqama_number, status, status_date, updated_at"
        with cursor.cursor.copy(
            f"COPY {WorkerRecord._meta.db_table} ({columns}) FROM STDIN (FORMAT csv)"
        ) as copy:
            for block in blocks(fake_feed().bulk_feed(run_date=FIRST_DAY)):
                copy.write("".join(f"{line},{now}\n" for line in block))
        cursor.execute(f"VACUUM ANALYZE {WorkerRecord._meta.db_table}")


def blocks(lines, size: int = 10_000):
    while block := list(itertools.islice(lines, size)):
        yield block


def feed_source_rate() -> float:
    lines = fake_feed().bulk_feed(run_date=FIRST_DAY)
    started = time.perf_counter()
    count = sum(1 for _ in itertools.islice(lines, SOURCE_SAMPLE))
    return count / (time.perf_counter() - started)


def measure_project(run_date: dt.date) -> tuple[float, FeedRun, float, str]:
    before = resident_mb()
    resettable = reset_peak_memory()
    started = time.perf_counter()
    ran = feed_ingest(run_date=run_date, gateway=fake_feed())
    elapsed = time.perf_counter() - started
    if resettable:
        how = f"resident-set high-water mark (VmHWM) reset just before; {before:.0f} MB before the run"
    else:
        how = "the whole process's peak (getrusage ru_maxrss)"
    return ran.read / elapsed, ran, peak_resident_mb(), how


def reset_peak_memory() -> bool:
    """Linux lets a process reset its resident-memory high-water mark, to measure one stretch of work."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def resident_mb(field: str = "VmRSS") -> float:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_resident_mb() -> float:
    return resident_mb("VmHWM")


def measure_raw_sql(run_date: dt.date) -> tuple[float, int]:
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(RAW_STAGING)
        with cursor.cursor.copy("COPY bench_feed_staging FROM STDIN (FORMAT csv)") as copy:
            for block in blocks(fake_feed().bulk_feed(run_date=run_date)):
                copy.write("\n".join(block) + "\n")
        cursor.execute("ANALYZE bench_feed_staging")
        cursor.execute(RAW_UPDATE)
        changed = cursor.rowcount
    return WORKERS / (time.perf_counter() - started), changed


RAW_STAGING = """
CREATE TEMPORARY TABLE bench_feed_staging (
    passport_number varchar(20), iqama_number varchar(10), status varchar(12), status_date date
) ON COMMIT DROP
"""
RAW_UPDATE = """
UPDATE registry_workerrecord AS r
SET iqama_number = s.iqama_number, status = s.status, status_date = s.status_date, updated_at = now()
FROM bench_feed_staging AS s
WHERE r.passport_number = s.passport_number
  AND (r.iqama_number, r.status, r.status_date) IS DISTINCT FROM (s.iqama_number, s.status, s.status_date)
"""


def measure_per_row(run_date: dt.date) -> tuple[float, int, int]:
    """What a view or task written without thought would do: one worker at a time, each save committed."""
    changed = measured = 0
    started = time.perf_counter()
    for line in itertools.islice(fake_feed().bulk_feed(run_date=run_date), PER_ROW_SAMPLE):
        passport, iqama, status, date = line.split(",")
        record = WorkerRecord.objects.get(passport_number=passport)
        day = dt.date.fromisoformat(date)
        if (record.iqama_number, record.status, record.status_date) != (iqama, status, day):
            record.iqama_number, record.status, record.status_date = iqama, status, day
            record.updated_at = timezone.now()
            record.save()
            changed += 1
        measured += 1
        if time.perf_counter() - started > PER_ROW_MAX_SECONDS:
            break
    return measured / (time.perf_counter() - started), measured, changed
