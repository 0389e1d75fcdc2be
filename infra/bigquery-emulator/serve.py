"""Starts local-bigquery with one correction: a write stream's calls are taken in turn.

BigQuery orders the calls on one write stream: once FinalizeWriteStream has answered, the row
count it gave is final and no append lands after it. local-bigquery (0.3.2) checks "finalized" at
the start of an append, inserts the rows (which can take seconds on a busy machine) and only then
adds them to the count; a finalize in between answers the old count and the rows land afterwards.
The sink fences a partition's last stream with exactly that call, so against the unmended
emulator it could believe a stream complete, write the rows again elsewhere, and have them twice.

The mend is a lock per stream around an append's check-insert-count and around finalize, which is
BigQuery's documented behaviour; nothing else of the emulator changes. It wraps the module's own
functions and then runs its own command line, so the pinned package is used as installed.
test/integration/emulator-write-order.integration.test.ts shows the order holds.
"""

import sys
import threading

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


# Before the gRPC server module is imported: its table of handlers takes write.finalize at import.
write._append = append_in_turn
write.finalize = finalize_in_turn

from local_bigquery.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
