"""Set-based SQL for the reminder run: a table of rows passed as one or a few parameters, the run lock, JIT.

A run claims 10⁵–10⁶ rows at national scale. They travel to the database as a handful of parameters, not as
one placeholder per value (PostgreSQL: typed arrays expanded by ``unnest``; SQLite: one JSON array read by
``json_each``), so a statement's size does not depend on the number of departments and the number of
statements is one per chunk of ``CHUNK`` rows.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection

CHUNK = 50_000  # rows per INSERT/UPDATE: large (a national run is ~11 statements), yet bounded in memory

# pg_advisory_xact_lock key: a reminder run's claim phase (plan + insert + take over) is serialised with it.
RUN_LOCK_KEY = zlib.crc32(b"dxportal.milestones.reminders.run")

_PG_TYPES = {"bigint", "int", "text", "date", "boolean"}


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _pg_text(value) -> str:
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _pg_array(values: Iterable, kind: str) -> str:
    """An array literal ('{1,NULL,3}'): one text parameter, parsed by the server in one go (psycopg2 would
    send a list as ARRAY[…] with one expression per element). Dates and texts repeat (a few stages and due
    dates for 10⁵ rows): each distinct one is formatted once."""
    if kind in ("bigint", "int"):
        items = ["NULL" if v is None else str(int(v)) for v in values]
    elif kind == "boolean":
        items = ["NULL" if v is None else ("t" if v else "f") for v in values]
    else:
        fmt = (lambda v: v.isoformat()) if kind == "date" else _pg_text
        seen: dict = {None: "NULL"}
        items = []
        for v in values:
            try:
                items.append(seen[v])
            except KeyError:
                items.append(seen.setdefault(v, fmt(v)))
    return "{" + ",".join(items) + "}"


def rows_source(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence]) -> tuple[str, list]:
    """SQL for a derived table with `columns` ((name, type): bigint/int/text/date/boolean) holding `rows`,
    to use as ``FROM (<sql>) AS alias`` / ``JOIN (<sql>) AS alias``.

    PostgreSQL: ``SELECT * FROM unnest(%s::bigint[], …) AS t(a, …)``, one parameter per column.
    SQLite: ``SELECT json_extract(value, '$[0]') AS a, … FROM json_each(%s)``, one parameter.
    """
    names = [name for name, _kind in columns]
    if is_postgres():
        assert all(kind in _PG_TYPES for _name, kind in columns)
        arrays = ", ".join(f"%s::{kind}[]" for _name, kind in columns)
        transposed = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
        params = [_pg_array(values, kind) for values, (_name, kind) in zip(transposed, columns, strict=True)]
        return f"SELECT * FROM unnest({arrays}) AS t({', '.join(names)})", params
    selects = ", ".join(f"json_extract(value, '$[{i}]') AS {name}" for i, name in enumerate(names))
    payload = json.dumps([[_json_value(v) for v in row] for row in rows], ensure_ascii=False)
    return f"SELECT {selects} FROM json_each(%s)", [payload]


def _json_value(value):
    if isinstance(value, dt.date):  # SQLite stores dates as ISO text
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def chunks(rows: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def as_date(value) -> dt.date:
    """A date read with a raw cursor (SQLite may hand back ISO text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def lock_run() -> None:
    """Serialise the claim phase of concurrent runs (PostgreSQL: a transaction-level advisory lock, released
    at commit; SQLite has one writer anyway). Inside the lock a run plans from the committed claims of the
    runs before it, so a department's digest is never split between two runs."""
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RUN_LOCK_KEY])


@contextmanager
def jit_off() -> Iterator[None]:
    """PostgreSQL: no JIT compilation for the run's queries (each big one paid ~0.65 s compiling at national
    scale). Call it first thing inside the run's ``transaction.atomic()``: SET LOCAL lasts until the end of the
    transaction. When a caller's transaction is open around the run (the run's block is a savepoint), the
    caller's setting is put back afterwards (on an error the rollback to the savepoint undoes it anyway)."""
    if not is_postgres():
        yield
        return
    nested = bool(connection.savepoint_ids)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
        previous = cursor.fetchone()[0]
    yield
    if nested and previous != "off":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('jit', %s, true)", [previous])


def analyze_log() -> None:
    """PostgreSQL: fresh statistics for the reminder log after a large claim (autovacuum comes minutes later)."""
    if is_postgres():
        from ..models import ReminderLog

        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(ReminderLog._meta.db_table)}")
