"""Running actions at the same moment, as two people (or two workers) would: PostgreSQL only."""

import threading

from django.db import connection


def at_once(*works):
    """Run each callable in its own thread, all released together; returns what they returned and the
    errors they raised (the outcome under test), each in the order they finished."""
    start = threading.Barrier(len(works))
    results, errors = [], []

    def run(work):
        try:
            start.wait()
            results.append(work())
        except Exception as error:  # reported by the caller, with the other threads' outcomes
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors
