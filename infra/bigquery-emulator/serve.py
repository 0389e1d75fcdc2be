"""Starts local-bigquery with one correction and two savings.

The correction: a write stream's calls are taken in turn.

BigQuery orders the calls on one write stream: once FinalizeWriteStream has answered, the row
count it gave is final and no append lands after it. local-bigquery (0.3.2) checks "finalized" at
the start of an append, inserts the rows (which can take seconds on a busy machine) and only then
adds them to the count; a finalize in between answers the old count and the rows land afterwards.
The sink fences a partition's last stream with exactly that call, so against the unmended
emulator it could believe a stream complete, write the rows again elsewhere, and have them twice.

The mend is a lock per stream around an append's check-insert-count and around finalize, which is
BigQuery's documented behaviour. test/integration/emulator-write-order.integration.test.ts shows
the order holds.

The saving: within one AppendRows call, a table's columns are read from DuckDB's catalog once.
local-bigquery reads them three times per append (to decode the rows, to load the table, to check
the values), each a catalog query; on a busy pipeline (a few appends a second) that was a fifth of
the emulator's CPU. A column added by a migration is seen by the next call, as BigQuery's own
write streams see a new schema only after a while.

The second saving: an append looks its table up by asking DuckDB for the table itself (`SELECT *
... LIMIT 0`, about 2 ms) instead of listing the catalog's tables and views to find it (about 15 ms
of CPU on the fault suite's dataset, more than the insert). A table that the quick look does not
find is looked up the emulator's own way, which answers "not found" as before. The own way also
drops a table whose expiration has passed; the pipeline sets no table expiration.

A quieter log: the compose file's health check lists the datasets from inside the container every
10 s, and uvicorn's access log printed each call among the pipeline's own lines. Those calls (a
GET of the dataset list from 127.0.0.1, answered 200) are left out of the log; every other call is
logged as before.

All wrap the module's own functions and then run its own command line, so the pinned package is
used as installed.
"""

import logging
import sys
import threading

import duckdb
from local_bigquery.catalog import tabledata, tables
from local_bigquery.engine import database
from local_bigquery.grpc import write

_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


def _lock(name: str) -> threading.Lock:
    with _guard:
        return _locks.setdefault(name, threading.Lock())


_append = write._append
_finalize = write.finalize


def append_in_turn(stream, rows, offset):
    with _lock(stream.name):
        return _append(stream, rows, offset)


def finalize_in_turn(request):
    with _lock(request.name):
        return _finalize(request)


_call = threading.local()
_columns = tables.columns
_append_call = write.append


def columns_once_per_call(project_id, dataset_id, table_id):
    known = getattr(_call, "columns", None)
    if known is None:
        return _columns(project_id, dataset_id, table_id)
    key = (project_id, dataset_id, table_id)
    if key not in known:
        known[key] = _columns(project_id, dataset_id, table_id)
    return known[key]


_load = tabledata.load


def load_for_append(project_id, dataset_id, table_id):
    # Outside an AppendRows call (its memo of columns unset), the emulator's own lookup.
    if getattr(_call, "columns", None) is None:
        return _load(project_id, dataset_id, table_id)
    try:
        with database.cursor() as cur:
            cur.sql(f"SELECT * FROM {tables.name(project_id, dataset_id, table_id)} LIMIT 0")
    except duckdb.Error:
        return _load(project_id, dataset_id, table_id)
    # insert_all, the caller, uses the lookup only to answer "not found".
    return None


def append_call(requests):
    # gRPC runs a call's response iterator on one of its threads from start to end.
    _call.columns = {}
    try:
        yield from _append_call(requests)
    finally:
        _call.columns = None


# Before the gRPC server module is imported: its table of handlers takes write.append and
# write.finalize at import. tabledata took `columns` and `load` by name.
write._append = append_in_turn
write.finalize = finalize_in_turn
write.append = append_call
tables.columns = columns_once_per_call
tabledata.columns = columns_once_per_call
tabledata.load = load_for_append


class HealthCheckCalls(logging.Filter):
    # uvicorn's access records: (client "host:port", method, path, HTTP version, status).
    def filter(self, record):
        args = record.args
        return not (
            isinstance(args, tuple)
            and len(args) == 5
            and str(args[0]).startswith("127.0.0.1:")
            and args[1] == "GET"
            and str(args[2]).endswith("/datasets")
            and args[4] == 200
        )


# uvicorn's logging configuration replaces a logger's handlers, not its filters.
logging.getLogger("uvicorn.access").addFilter(HealthCheckCalls())

from local_bigquery.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
