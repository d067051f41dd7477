"""Query helpers shared by the apps' list and report pages."""

import datetime as dt
import itertools
import json
import re
import sqlite3
import threading
import zlib
from contextlib import contextmanager
from datetime import timezone as dt_timezone
from decimal import Decimal
from operator import itemgetter
from types import SimpleNamespace

from django.conf import settings
from django.db import connections, models, router
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Count, OuterRef, Subquery, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    NamedValuesListIterable,
    ValuesIterable,
    ValuesListIterable,
)
from django.utils import timezone as dj_timezone

UTC = dt_timezone.utc


def count_of(queryset: models.QuerySet, outer_field: str, outer_ref: str = "pk") -> Coalesce:
    """A correlated COUNT(*) of `queryset` rows whose `outer_field` is the outer row's
    `outer_ref`: one per row, without the row multiplication of joining two to-many tables."""
    counted = (
        queryset.filter(**{outer_field: OuterRef(outer_ref)})
        .order_by()
        .values(outer_field)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


def overall(queryset: models.QuerySet, **figures) -> models.QuerySet:
    """`figures` (aggregates) over the whole of `queryset`, as one row of values: grouped by a
    constant, which is no grouping. What aggregate() gives, in a form `Compiled` can hold."""
    return queryset.annotate(overall=Value(1)).values("overall").annotate(**figures).order_by()


def sum_of(
    queryset: models.QuerySet, field: str, outer_field: str, outer_ref: str = "pk"
) -> Coalesce:
    """A correlated SUM(`field`) twin of `count_of`, zero when there are no rows."""
    summed = (
        queryset.filter(**{outer_field: OuterRef(outer_ref)})
        .order_by()
        .values(outer_field)
        .annotate(total=Sum(field))
        .values("total")
    )
    money = models.DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Subquery(summed, output_field=money), Decimal("0.00"), output_field=money)


class Prepared:
    """A query with nothing that changes between requests, compiled to SQL once per process
    and database, then run straight through a cursor. For the small fixed reads every page
    makes (a filter's drop-down choices): building and compiling the queryset cost the ORM
    four times what the database took to answer.

    `build` returns a values_list() queryset; `rows()` gives its rows as the database gives
    them, so its columns must need no conversion (ids, text, numbers): checked on compiling.
    """

    def __init__(self, build):
        self.build = build
        self.compiled = None  # (database alias, sql, params)

    def __deepcopy__(self, memo):
        # Shared, not copied: a form field holding one (as its choices) is deep-copied for every
        # form, which would compile the query afresh each request.
        return self

    def _compile(self) -> tuple[str, str, tuple, tuple | None]:
        queryset = self.build()
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        if compiler.get_converters([column for column, _, _ in compiler.select]):
            raise ValueError(f"{queryset.query} reads columns that need converting")
        prepared = _to_prepare(connections[queryset.db], sql, params)
        return queryset.db, sql, tuple(params), prepared

    def rows(self) -> list[tuple]:
        if self.compiled is None:
            self.compiled = self._compile()
        alias, sql, params, prepared = self.compiled
        connection = connections[alias]
        statement = _execute_prepared(connection, prepared, 0)
        with connection.cursor() as cursor:
            cursor.execute(statement or sql, None if statement else params)
            return cursor.fetchall()


class BuiltOnce(threading.local):
    """A queryset that is the same for every request (annotations with correlated subqueries,
    say), built once per process thread; each call gives a copy (`.all()`) to narrow and read.
    Building the account list's five figures cost the ORM a millisecond a request.

    `build` must not depend on the request, the time or the database's contents. Each thread
    keeps its own: compiling a query briefly changes its subqueries' bookkeeping, which two
    threads must not do to one query at once."""

    def __init__(self, build):
        self.build = build
        self.queryset = None

    def __call__(self) -> models.QuerySet:
        if self.queryset is None:
            self.queryset = self.build()
        return self.queryset.all()


_COMPILABLE = {
    ModelIterable,
    ValuesListIterable,
    NamedValuesListIterable,
    FlatValuesListIterable,
    ValuesIterable,
}


def _stand_in(kind: type, index: int):
    """What a compiled query's `index`-th value is while it compiles: unlike any value a query
    holds, and recognisable when a build derived another value from it (`_derived_from`)."""
    if kind is int:
        return _STAND_IN_INT + index  # within any integer column's range
    if kind is str:
        return f"{_STAND_IN_TEXT}{index}\x00"
    if kind is dt.datetime:
        return dt.datetime(_STAND_IN_YEAR, 6, 15, 12, 0, index, 123_456, tzinfo=UTC)
    if kind is dt.date:
        return dt.date(_STAND_IN_YEAR, 6, 1 + index)
    raise TypeError(f"a compiled query takes int, str, date or datetime values, not {kind}")


_STAND_IN_INT, _STAND_IN_TEXT, _STAND_IN_YEAR = 2_000_000_000, "\x00compiled value ", 2999


def _derived_from_stand_in(param) -> bool:
    """Whether a parameter looks made from a stand-in (a time two hours after it, a LIKE
    pattern around it): the build computed with a value, which would be compiled in."""
    if isinstance(param, bool):
        return False
    if isinstance(param, int):
        return abs(param - _STAND_IN_INT) < 1_000_000
    if isinstance(param, str):
        return _STAND_IN_TEXT in param or param.startswith(f"{_STAND_IN_YEAR}-")
    if isinstance(param, dt.date):
        return param.year == _STAND_IN_YEAR
    return False


def _same(param, expected) -> bool:
    """Whether a compiled parameter is a stand-in as `_as_parameter` gives it (an int may come
    wrapped in a subclass of int)."""
    if isinstance(param, bool) or isinstance(expected, bool):
        return False
    if isinstance(expected, int):
        return isinstance(param, int) and param == expected
    return type(param) is type(expected) and param == expected


def _as_parameter(kind: type, value, connection):
    """`value` as the ORM would pass it to the database, for a column of its kind."""
    if kind is dt.datetime:
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, not {value!r}")
        return connection.ops.adapt_datetimefield_value(value)
    if kind is dt.date:
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise TypeError(f"expected a date, not {value!r}")
        return connection.ops.adapt_datefield_value(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        # None especially: `owner=None` is IS NULL, another statement than `owner = %s`.
        raise TypeError(f"expected {kind.__name__}, not {value!r}")
    return value


# PostgreSQL's names for the types of a compiled query's values, when it is prepared.
_PG_TYPES = {int: "int8", str: "text", dt.datetime: "timestamptz", dt.date: "date"}
_PLACEHOLDER = re.compile(r"%%|%s")
# A count, not a generator of names: two threads compiling at once may both ask it.
_STATEMENT_NUMBERS = itertools.count(1)


def _prepare(connection, name: str, statement: str) -> bool:
    """Prepare `statement` on the connection's current database session, once: whether it is.
    Sent on the driver's own connection, as the session's set-up is, so it does not count
    among a page's queries; in a transaction, inside a savepoint, so that a refusal (a type
    PostgreSQL cannot infer, say) leaves the query unprepared and the transaction as it was."""
    import psycopg

    connection.ensure_connection()
    session = connection.connection
    known = getattr(connection, "handoff_prepared", None)
    if known is None or known[0] is not session:  # a new session has none of them
        known = connection.handoff_prepared = (session, {})
    if name not in known[1]:
        try:
            if connection.in_atomic_block:
                with session.transaction():  # a savepoint in the transaction under way
                    session.execute(statement)
            else:
                session.execute(statement)
            known[1][name] = True
        except psycopg.errors.InFailedSqlTransaction:
            return False  # nothing runs until the transaction is rolled back: try again after
        except psycopg.Error:
            known[1][name] = False
    return known[1][name]


def _execute_prepared(connection, prepared, count: int) -> str | None:
    """`EXECUTE name(%s, …)` for a statement `_to_prepare` wrote (with `count` values), when it
    is prepared on the connection's session (preparing it now if need be); None when there is
    none to run, and the query runs as it is."""
    if prepared is None or not _prepare(connection, *prepared):
        return None
    values = f"({', '.join(['%s'] * count)})" if count else ""
    return f"EXECUTE {prepared[0]}{values}"


def _to_prepare(connection, sql: str, params, slots=(), kinds=()):
    """On PostgreSQL: (name, PREPARE statement) for a compiled query, the values `slots` say
    come from each call ((position, index, wrap), of `kinds`) as $1, $2, … and every other
    parameter written in. Planning a lead page's five queries took PostgreSQL 1.4 ms each
    visit, a deal page's 2.1 ms (one join of six tables 1.4 ms): a prepared statement is
    planned for its first executions, then (when no worse) once for all."""
    if connection.vendor != "postgresql" or not settings.HANDOFF_PREPARED_QUERIES:
        return None
    if connection.settings_dict.get("CONN_MAX_AGE") == 0:
        return None  # a session per request: preparing would only add a round trip
    values = {position: index for position, index, _ in slots}
    found = iter(range(len(params)))

    def fill(match):
        if match.group() == "%%":
            return "%"
        position = next(found)
        if position in values:
            return f"${values[position] + 1}"
        return connection.ops.compose_sql("%s", [params[position]])

    body = _PLACEHOLDER.sub(fill, sql)
    name = f"handoff_compiled_{next(_STATEMENT_NUMBERS)}"
    types = ", ".join(_PG_TYPES[kind] for kind in kinds)
    return name, f"PREPARE {name}{f'({types})' if types else ''} AS {body}"


# Hand-written statements run by execute_fixed(): (alias, text) -> (name, PREPARE …) or None.
_FIXED: dict[tuple[str, str], tuple[str, str] | None] = {}


def execute_fixed(connection, cursor, sql: str, params) -> None:
    """`cursor.execute(sql, params)` for a hand-written statement whose text never changes (the
    session and the signed-in user, read on every request): on PostgreSQL it is prepared once
    per database session, its values as $1, $2, … of the types PostgreSQL infers from where
    they stand, and executed by name."""
    key = (connection.alias, sql)
    if key not in _FIXED:
        slots = [(position, position, None) for position in range(len(params))]
        _FIXED[key] = _to_prepare(connection, sql, params, slots)
    statement = _execute_prepared(connection, _FIXED[key], len(params))
    cursor.execute(statement or sql, params)


class Compiled(threading.local):
    """A query of one fixed shape whose only inputs are a few values (an id, the time), compiled
    to SQL once per process thread, then run with each request's values and read back by
    Django's own iterables: model instances (select_related included), values or values_list
    rows, exactly as the queryset would give them.

    On a lead's page the database answered its five queries in 0.3 ms; building and compiling
    them cost the ORM 3 ms, a third of the page. The ORM stays the one place a query is written.

    `build(*values)` returns the queryset. It is called once, with stand-ins for the values
    (`kinds` says which: int, str, date or datetime), so it may only hand them to filters as
    they are: a parameter computed from one (a time plus two hours, a LIKE pattern) is
    refused on compiling, and a value that would change the statement (None, a list) on each
    call. A build may leave a value unused. No prefetch_related. Each thread keeps its own
    compiled query, as `BuiltOnce` does."""

    def __init__(self, build, *kinds: type):
        self.build = build
        self.kinds = kinds
        self.compiled = None

    def _compile(self):
        stand_ins = [_stand_in(kind, index) for index, kind in enumerate(self.kinds)]
        queryset = self.build(*stand_ins)
        if queryset._iterable_class not in _COMPILABLE or queryset._prefetch_related_lookups:
            raise ValueError("a compiled query reads models, values or values_list rows only")
        connection = connections[queryset.db]
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        expected = {
            index: _as_parameter(kind, stand_in, connection)
            for index, (kind, stand_in) in enumerate(zip(self.kinds, stand_ins, strict=True))
        }
        slots = []
        for position, param in enumerate(params):
            index = next((i for i, e in expected.items() if _same(param, e)), None)
            if index is not None:
                # As the ORM wrapped it: psycopg's Int8 for a big integer column, say.
                wrap = None if type(param) is type(expected[index]) else type(param)
                slots.append((position, index, wrap))
            elif _derived_from_stand_in(param):
                raise ValueError(f"{queryset.query} holds {param!r}, computed from a value")
        # The queryset is never chained or evaluated as such: its iterable asks its query for
        # a compiler, and gets this one, which answers with the SQL and this call's values.
        queryset.query.get_compiler = lambda *args, **kwargs: compiler
        # And its columns' converters (from database values to Python ones), which the ORM
        # works out again for every read: half of the 0.4 ms of reading a lead with its
        # campaign, owner, account and deal, eighty columns.
        columns = [column for column, _, _ in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(columns)
        work_out = compiler.get_converters
        compiler.get_converters = lambda expressions: (
            converters if len(expressions) == len(columns) else work_out(expressions)
        )
        prepared = _to_prepare(connection, sql, params, slots, self.kinds)
        return queryset, compiler, connection, sql, tuple(params), slots, prepared

    def __call__(self, *values) -> list:
        if len(values) != len(self.kinds):
            raise TypeError(f"expected {len(self.kinds)} values, got {len(values)}")
        if self.compiled is None:
            self.compiled = self._compile()
        queryset, compiler, connection, sql, params, slots, prepared = self.compiled
        given = [_as_parameter(k, v, connection) for k, v in zip(self.kinds, values, strict=True)]
        statement = _execute_prepared(connection, prepared, len(given))
        if statement is not None:
            compiler.as_sql = lambda *args, **kwargs: (statement, given)
        else:
            run = list(params)
            for position, index, wrap in slots:
                run[position] = given[index] if wrap is None else wrap(given[index])
            compiler.as_sql = lambda *args, **kwargs: (sql, run)
        return list(queryset._iterable_class(queryset))


class UtcText(models.Func):
    """A timestamp as "YYYY-MM-DD HH:MM:SS" text in UTC, written by the database: an export
    of a million rows spent a quarter of its time parsing timestamps only to print them."""

    output_field = models.CharField()

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores SQLite timestamps as naive UTC text: its first 19 characters.
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 1, 19)")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')",
        )


class Row(SimpleNamespace):
    """A row on its way to `bulk_insert`: attributes named like the model's fields, related
    objects by their field name. Far cheaper to build than a model instance."""

    pk = None


def _adapter(field, vendor: str):
    """A cheap Python → database value converter for one concrete field, for `bulk_insert`."""
    internal = field.get_internal_type()
    if vendor == "sqlite":
        if internal == "DateTimeField":
            # Django keeps SQLite datetimes as naive UTC text.
            return lambda v: (
                None if v is None else v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
            )
        if internal in {"DateField", "TimeField"}:
            return lambda v: None if v is None else v.isoformat()
        if internal == "DecimalField":
            return lambda v: None if v is None else str(v)
    if internal == "JSONField":
        return json.dumps
    return None


def _source(field, sample, vendor: str, now):
    """Where `bulk_insert` reads `field` off a row and how it converts it: (attribute, default
    when the row lacks it, converter or None). Rows are model instances or any objects with
    attributes; a foreign key may be given as `<name>_id` or as the related object (its `pk`
    is read); auto-now fields left empty take `now`."""
    adapt = _adapter(field, vendor)
    if field.primary_key:
        return "pk", None, adapt
    if field.is_relation and not hasattr(sample, field.attname):
        return field.name, None, (lambda v, a=adapt: a(_pk_of(v))) if adapt else _pk_of
    if _auto_now(field):
        return (
            field.attname,
            None,
            (lambda v, a=adapt: a(v or now)) if adapt else (lambda v: v or now),
        )
    return field.attname, field.get_default(), adapt


def _auto_now(field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _pk_of(related):
    return None if related is None else related.pk


def _values(rows: list, fields, vendor: str) -> list:
    """`bulk_insert`'s values, a sequence per row. `Row`s are read the fast way: each row's
    attributes over the fields' defaults, picked in one C call, then only the columns that
    need it converted (reading field by field cost an import a second per 100,000 rows)."""
    now = dj_timezone.now()
    sources = [_source(field, rows[0], vendor, now) for field in fields]
    if type(rows[0]) is not Row:
        return [
            tuple(
                convert(getattr(row, name, default)) if convert else getattr(row, name, default)
                for name, default, convert in sources
            )
            for row in rows
        ]
    defaults = {name: default for name, default, _ in sources}
    pick = itemgetter(*(name for name, _, _ in sources))
    # Converters turn None into None, but for auto-now fields (None becomes now).
    empty = {
        i: convert(None) if _auto_now(fields[i]) else None
        for i, (_, _, convert) in enumerate(sources)
        if convert
    }
    # A value object met again (the batch's `now` in four columns of every row, a created date
    # that is also the stage's) is converted once. Objects are told apart by id(): the rows
    # hold every one of them until the end. One memo per kind of field, so the same object in
    # a date and a datetime column is converted for each.
    memos = {}
    converts = [
        (i, convert, memos.setdefault(fields[i].get_internal_type(), {}))
        for i, (_, _, convert) in enumerate(sources)
        if convert
    ]
    values = []
    for row in rows:
        cells = list(pick({**defaults, **row.__dict__}))
        for i, convert, memo in converts:
            value = cells[i]
            if value is None:  # most of a new lead's dates: no call for those
                cells[i] = empty[i]
                continue
            key = id(value)
            converted = memo.get(key)
            if converted is None:
                converted = memo[key] = convert(value)
            cells[i] = converted
        values.append(cells)
    return values


# SQLite's WAL is copied back into the database (a checkpoint, with an fsync) once it holds
# this many pages; the default (1,000) checkpointed after every import batch, rewriting the
# same index pages batch after batch: a third of a 100,000-lead import.
BULK_CHECKPOINT_PAGES = 250_000  # about 1 GB


@contextmanager
def deferred_checkpoints(using: str = "default"):
    """Around many write transactions in a row (an import): on SQLite, checkpoint the WAL
    once at the end instead of after each. Elsewhere it does nothing."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint = 1000")
            if not connection.in_atomic_block:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


@contextmanager
def unmapped_reads(connection=None):
    """Around a scan of a whole table (a CSV export): on SQLite, read the file through SQLite's
    page cache rather than its memory map, and map it again afterwards. A page read through the
    map counts in the process's resident memory: a million-lead export grew a worker to 600 MB
    (shared and reclaimable, but what a process monitor shows) where its own memory was 120 MB.
    The cache is bounded (`cache_size`, settings). Elsewhere, and in memory, it does nothing."""
    connection = connection or connections["default"]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA mmap_size")
        mapped = (cursor.fetchone() or (None,))[0]
        if mapped:
            cursor.execute("PRAGMA mmap_size = 0")
    try:
        yield
    finally:
        if mapped:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA mmap_size = {int(mapped)}")


def one_of(values, *, lower: bool = False, using: str = "default") -> RawSQL:
    """`values` (texts) as a subquery for an `__in` lookup, sent as one parameter: a JSON array
    on SQLite, an array on PostgreSQL. Django compiles a list into one placeholder per value,
    and value by value (half a second over an import's 100,000 keys). `lower`: each value
    through the database's own LOWER(), which is what an index on LOWER(...) holds; Python's
    lower() differs (SQLite lowers ASCII letters only, PostgreSQL "İ" to "i")."""
    value = "lower(value)" if lower else "value"
    if connections[using].vendor == "postgresql":
        return RawSQL(f"SELECT {value} FROM unnest(%s::text[]) AS value", [list(values)])
    return RawSQL(f"SELECT {value} FROM json_each(%s)", [json.dumps(list(values))])


def hold_lock(name: str, using: str = "default") -> None:
    """Queue behind any other transaction holding the lock `name`, and hold it until this
    transaction ends: for writers that read, then insert what they did not find (two imports
    of one address would both insert it). Call it inside `transaction.atomic()`.

    PostgreSQL: a transaction-level advisory lock (released by COMMIT or ROLLBACK, whatever
    server took it). SQLite: nothing to take; its transactions here are IMMEDIATE (settings),
    so every writer already holds the database's one write lock from BEGIN."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("hold_lock() outside a transaction would be released at once.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(name.encode())])


def allocate_pks(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` primary keys for rows that `bulk_insert` writes with explicit keys.
    Call it inside the transaction that inserts them."""
    if count <= 0:
        return []
    connection = connections[router.db_for_write(model)]
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The table's own sequence: concurrent writers never get the same keys.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: transactions here are IMMEDIATE (settings), so the write lock is held from
        # BEGIN and nobody else can insert between this read and our insert. AUTOINCREMENT keeps
        # the highest key ever used in sqlite_sequence: never hand out a deleted row's key again.
        quoted = connection.ops.quote_name
        cursor.execute(f"SELECT MAX({quoted(column)}) FROM {quoted(table)}")
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
    return list(range(start, start + count))


def bulk_insert(model: type[models.Model], rows: list) -> None:
    """Insert many rows of `model` fast. Each row is an object with attributes named like the
    model's fields (model instances work, so do plain namespaces) and its `pk` already set
    (see `allocate_pks`); fields a row lacks take their defaults. PostgreSQL gets one COPY,
    SQLite INSERTs of hundreds of rows each (`_sqlite_insert`); values travel as parameters,
    never as SQL text.

    Django's bulk_create spends most of its time compiling placeholders value by value; at a
    million rows that is minutes, this is seconds. It sends no signals and runs no save()."""
    if not rows:
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    connection = connections[router.db_for_write(model)]
    vendor = connection.vendor
    values = _values(rows, fields, vendor)
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with _bulk_cursor(connection) as cursor:
        if vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            _sqlite_insert(cursor, table, columns, values)


def _sqlite_insert(cursor, table: str, columns: str, values: list) -> None:
    """Many rows per INSERT (`VALUES (…), (…), …`, as many as SQLite's limit on parameters
    allows), rather than an executemany, which runs the statement once per row. Each run
    opens a statement savepoint, and at every savepoint an FTS5 table (the lead search's,
    filled by a trigger) writes out the rows it holds in memory: one tiny index segment per
    lead, merged again and again. An import's 100,000 leads took 11.5 s to insert that way
    (4.5 s of it the search index), 5 s this way."""
    width = len(values[0])
    row = f"({', '.join(['%s'] * width)})"
    for chunk in _sqlite_chunks(cursor, values, width):
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(chunk))}",
            [value for cells in chunk for value in cells],
        )


def _sqlite_chunks(cursor, rows: list, width: int):
    """`rows` in slices for one statement each: as many as SQLite's limit on parameters allows,
    rounded down to a power of two, and the rest in powers of two. Python's sqlite3 keeps the
    last 128 statements it compiled, and a compiled 800-row INSERT of 40 columns holds 2.5 MB:
    with slices of any length (each batch's last one different), `seed_demo --leads 50000`
    peaked at 380 MB, and at 245 MB this way. Powers of two make at most ten different
    statements per table, reused batch after batch."""
    most = max(1, _sqlite_parameter_limit(cursor) // width)
    size = 1 << (most.bit_length() - 1)
    start = 0
    while start < len(rows):
        while size > len(rows) - start:
            size >>= 1
        yield rows[start : start + size]
        start += size


def _sqlite_parameter_limit(cursor) -> int:
    """How many parameters one SQLite statement may take (32,766 unless compiled otherwise;
    Python 3.10 cannot ask, and gets the old default of 999)."""
    getlimit = getattr(cursor.db.connection, "getlimit", None)
    return getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit else 999


class _SummaryDebugCursor(CursorDebugWrapper):
    """Django's debug cursor (DEBUG on, or a test counting queries), but a statement is logged
    as its first 200 characters and its number of parameters. Django writes out every value
    (on SQLite with a query that quotes them all), which for a many-row INSERT's 30,000
    values cost more than the insert, and kept megabytes of text per statement."""

    def execute(self, sql, params=None):
        shown = sql if len(sql) <= 200 else f"{sql[:200]}… ({len(params or ())} parameters)"
        with self.debug_sql(shown):
            return CursorWrapper.execute(self, sql, params)


@contextmanager
def _bulk_cursor(connection):
    """A cursor for `bulk_insert` and `bulk_update_rows`: logs its statements in short."""
    with connection.cursor() as cursor:
        if isinstance(cursor, CursorDebugWrapper):
            cursor = _SummaryDebugCursor(cursor.cursor, connection)
        yield cursor


def bulk_update_rows(model: type[models.Model], rows: list, fields: list[str]) -> None:
    """UPDATE `fields` of many rows. Rows are model instances (or objects with the fields as
    attributes) with their primary key set; a key given twice takes its last row's values.
    Django's bulk_update builds a CASE per field and row; at thousands of rows that SQL alone
    takes seconds to compile and parse. PostgreSQL gets one executemany; SQLite an UPDATE …
    FROM (VALUES …) of hundreds of rows each (an executemany is one statement per row, and the
    search index writes itself out at each: 2 s for 5,000 leads, 0.5 s this way)."""
    if not rows or not fields:
        return
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    targets = [meta.get_field(name) for name in fields]
    readers = []
    for field in targets:
        adapt = _adapter(field, connection.vendor)
        attname = field.attname
        readers.append(
            (lambda row, a=attname, f=adapt: f(getattr(row, a)))
            if adapt
            else (lambda row, a=attname: getattr(row, a))
        )
    latest = {row.pk: row for row in rows}.values()
    params = [(*(read(row) for read in readers), row.pk) for row in latest]
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    with _bulk_cursor(connection) as cursor:
        if connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 33):
            width = len(targets) + 1
            assignments = ", ".join(
                f"{quote(field.column)} = v.column{i}" for i, field in enumerate(targets, 1)
            )
            row = f"({', '.join(['%s'] * width)})"
            for chunk in _sqlite_chunks(cursor, params, width):
                cursor.execute(
                    f"UPDATE {table} SET {assignments} "
                    f"FROM (VALUES {', '.join([row] * len(chunk))}) AS v "
                    f"WHERE {table}.{pk} = v.column{width}",
                    [value for cells in chunk for value in cells],
                )
            return
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in targets)
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", params)
