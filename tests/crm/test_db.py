import contextlib
import datetime as dt
import threading
import zlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign
from crm import db as crm_db
from crm.db import (
    BULK_CHECKPOINT_PAGES,
    BuiltOnce,
    Compiled,
    Prepared,
    Row,
    allocate_pks,
    bulk_insert,
    bulk_update_rows,
    count_of,
    deferred_checkpoints,
    execute_fixed,
    hold_lock,
    one_of,
    sum_of,
    unmapped_reads,
)
from leads import search
from leads.models import Account, Lead, LeadTransition, Opportunity
from reports.models import ServiceLevelAgreement
from tests.conftest import requires_postgres
from tests.factories import CampaignFactory, LeadFactory, OpportunityFactory, RepFactory

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 3, 1, 14, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))


# Any object with the attributes works; `Row`s take a faster path that must write the same.
@pytest.mark.parametrize("make", [SimpleNamespace, Row])
def test_bulk_insert_round_trips_every_kind_of_value(rep, sla, make):
    campaign = CampaignFactory()
    with transaction.atomic():
        (pk,) = allocate_pks(Lead, 1)
        lead = make(
            pk=pk,
            first_name="Zoë",
            last_name="O'Brien",
            email="zoe@example.com",
            company="0042",  # text that looks like a number stays text
            job_title="Head of 🚀",  # beyond the Basic Multilingual Plane
            external_id='a "quoted" \\ back\nslash',
            reached_mql=True,
            campaign=campaign,  # a related object
            owner_id=rep.pk,  # or its key
            stage="mql",
            score=-5,
            mql_at=WHEN,
            accepted_at=None,  # an empty date stays empty
            created_at=WHEN,
            updated_at=None,  # an empty auto-now date is filled in
        )
        bulk_insert(Lead, [lead])
        (transition_pk,) = allocate_pks(LeadTransition, 1)
        bulk_insert(
            LeadTransition,
            [
                make(
                    pk=transition_pk,
                    lead=lead,  # a related row, by its key
                    from_stage="new",
                    to_stage="mql",
                    at=WHEN,
                    sla=sla,
                    qualification={"score": -5, "rules": ["ä", 1.5]},
                )
            ],
        )
    stored = Lead.objects.get(pk=pk)
    assert (stored.first_name, stored.last_name, stored.score) == ("Zoë", "O'Brien", -5)
    assert (stored.company, stored.job_title) == ("0042", "Head of 🚀")
    assert stored.external_id == 'a "quoted" \\ back\nslash'
    assert stored.reached_mql is True
    assert Lead.objects.filter(reached_mql=True, company="0042").get() == stored
    assert stored.campaign == campaign
    assert stored.owner == rep
    assert stored.mql_at == WHEN
    assert stored.created_at == WHEN
    assert stored.updated_at is not None  # auto_now filled in
    assert stored.accepted_at is None
    assert stored.phone == ""  # a field the row lacked takes its default
    transition = stored.transitions.get()
    assert transition.qualification == {"score": -5, "rules": ["ä", 1.5]}
    assert transition.sla == sla


# SQLite takes the rows a statement at a time, as many as its parameter limit allows.
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's way of inserting")
@pytest.mark.parametrize("rows_per_statement", [1, 2, 5])
def test_bulk_insert_writes_every_row_in_order_whatever_the_statement_size(
    monkeypatch, rows_per_statement
):
    width = len(Lead._meta.concrete_fields)
    monkeypatch.setattr(crm_db, "_sqlite_parameter_limit", lambda _: width * rows_per_statement)
    with transaction.atomic():
        keys = allocate_pks(Lead, 5)
        bulk_insert(Lead, [Row(pk=k, first_name=f"L{i}") for i, k in enumerate(keys)])
    assert list(Lead.objects.order_by("pk").values_list("pk", "first_name")) == [
        (k, f"L{i}") for i, k in enumerate(keys)
    ]


@pytest.mark.parametrize("limit", [1, 40, 999, 32766])
@pytest.mark.parametrize("count", [1, 7, 512, 1000, 2049])
def test_sqlite_statements_take_rows_in_a_few_sizes_only(monkeypatch, limit, count):
    monkeypatch.setattr(crm_db, "_sqlite_parameter_limit", lambda _: limit)
    rows = list(range(count))
    chunks = list(crm_db._sqlite_chunks(None, rows, 4))
    assert [row for chunk in chunks for row in chunk] == rows
    sizes = [len(chunk) for chunk in chunks]
    assert all(size & (size - 1) == 0 for size in sizes)  # powers of two
    assert max(sizes) <= max(1, limit // 4)
    assert sizes == sorted(sizes, reverse=True)  # so each size once, but the largest
    assert len(set(sizes)) <= max(1, limit // 4).bit_length()


def test_bulk_statements_are_logged_short_and_still_counted(monkeypatch):
    # As DEBUG or a test counting queries logs them: Django would write out every value.
    monkeypatch.setattr(crm_db, "_sqlite_parameter_limit", lambda _: 32766)
    known = LeadFactory.create_batch(3)
    with transaction.atomic():
        keys = allocate_pks(Lead, 300)
    with CaptureQueriesContext(connection) as captured:
        bulk_update_rows(Lead, known, ["first_name"])
        with transaction.atomic():
            before = len(captured)
            bulk_insert(Lead, [Row(pk=k, first_name=f"Lead {k}") for k in keys])
            inserts = captured.captured_queries[before:]
        with crm_db._bulk_cursor(connection) as cursor:
            cursor.execute(f"SELECT {', '.join(['%s'] * 100)}", list(range(100)))
            assert cursor.fetchone() == tuple(range(100))
        with (  # errors are still Django's
            pytest.raises(DatabaseError),
            transaction.atomic(),
            crm_db._bulk_cursor(connection) as cursor,
        ):
            cursor.execute("SELECT no_such_column FROM leads_lead")
    assert Lead.objects.filter(pk__in=keys).count() == 300
    assert all(len(query["sql"]) < 300 for query in captured)
    [select] = [query["sql"] for query in captured if query["sql"].startswith("SELECT %s, %s")]
    assert select.endswith("… (100 parameters)")
    if connection.vendor == "sqlite":  # PostgreSQL's COPY is not logged
        assert len(inserts) == 4  # 256 + 32 + 8 + 4 rows
        assert all("Lead 1" not in query["sql"] for query in inserts)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite limit")
def test_sqlite_says_how_many_parameters_a_statement_may_take():
    with connection.cursor() as cursor:
        limit = crm_db._sqlite_parameter_limit(cursor)
        assert limit >= 999
        values = ", ".join(["(%s)"] * limit)
        cursor.execute(f"SELECT count(*), sum(column1) FROM (VALUES {values})", [1] * limit)
        assert cursor.fetchone() == (limit, limit)


@pytest.mark.parametrize("rows_per_statement", [1, 2, 50])
def test_bulk_update_rows_writes_each_row_once_with_its_last_values(
    monkeypatch, rows_per_statement
):
    monkeypatch.setattr(crm_db, "_sqlite_parameter_limit", lambda _: 4 * rows_per_statement)
    ada, bob, cy = LeadFactory.create_batch(3, company="Old", score=1)
    ada.first_name, ada.company, ada.updated_at = "Adélaïde", "0042", WHEN
    bob.company = "First"
    later_bob = Row(pk=bob.pk, first_name=bob.first_name, company="Last", updated_at=WHEN)
    bulk_update_rows(Lead, [ada, bob, later_bob], ["first_name", "company", "updated_at"])
    stored = {lead.pk: lead for lead in Lead.objects.all()}
    assert (stored[ada.pk].first_name, stored[ada.pk].company) == ("Adélaïde", "0042")
    assert stored[ada.pk].updated_at == WHEN
    assert stored[bob.pk].company == "Last"  # the last row for a key wins
    assert stored[cy.pk].company == "Old"  # rows not given are untouched
    assert {lead.score for lead in stored.values()} == {1}  # and fields not named
    # The search index follows the new names.
    assert list(search.matching(Lead.objects.all(), "Adélaïde")) == [stored[ada.pk]]
    assert not search.matching(Lead.objects.all(), "Old").filter(pk=ada.pk).exists()


def test_keys_handed_out_are_never_reused_by_later_inserts():
    with transaction.atomic():
        keys = allocate_pks(Lead, 3)
        bulk_insert(Lead, [SimpleNamespace(pk=k, first_name=f"L{k}") for k in keys])
    assert keys == sorted(keys)
    later = LeadFactory(campaign=None)
    assert later.pk > max(keys)
    assert allocate_pks(Lead, 2)[0] > later.pk
    assert allocate_pks(Lead, 0) == []


def test_bulk_insert_of_nothing_does_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        bulk_insert(Lead, [])


def test_count_of_and_sum_of_do_not_multiply_rows():
    campaign = CampaignFactory()
    LeadFactory.create_batch(3, campaign=campaign)
    account_deals = OpportunityFactory.create_batch(2, amount=Decimal("10.50"))
    counted = Campaign.objects.annotate(n=count_of(Lead.objects.all(), "campaign")).get(
        pk=campaign.pk
    )
    assert counted.n == 3
    account = account_deals[0].account
    OpportunityFactory(account=account, amount=Decimal("1.25"))
    summed = Account.objects.annotate(total=sum_of(Opportunity.objects.all(), "amount", "account"))
    assert summed.get(pk=account.pk).total == Decimal("11.75")
    assert summed.get(pk=account_deals[1].account.pk).total == Decimal("10.50")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite setting")
def test_deferred_checkpoints_lift_the_wal_limit_and_put_it_back():
    def limit():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            return cursor.fetchone()[0]

    with deferred_checkpoints():
        assert limit() == BULK_CHECKPOINT_PAGES
    assert limit() == 1000


def test_a_prepared_query_gives_the_querysets_rows_and_compiles_once(django_assert_num_queries):

    CampaignFactory(name="Beta")
    CampaignFactory(name="Alpha")
    built = []

    def build():
        built.append(1)
        return Campaign.objects.order_by("name").values_list("pk", "name")

    prepared = Prepared(build)
    expected = list(Campaign.objects.order_by("name").values_list("pk", "name"))
    with django_assert_num_queries(1):
        assert [tuple(row) for row in prepared.rows()] == expected
    CampaignFactory(name="Gamma")  # read afresh each time: only the SQL is kept
    assert [name for _, name in prepared.rows()] == ["Alpha", "Beta", "Gamma"]
    assert len(built) == 1


def test_a_compiled_query_gives_what_its_queryset_gives_for_each_calls_values(
    django_assert_num_queries,
):
    rep = RepFactory()
    mine, other = LeadFactory(owner=rep), LeadFactory(owner=RepFactory())
    built = []

    def build(owner):
        built.append(owner)
        return Lead.objects.filter(owner_id=owner).select_related("owner", "campaign")

    compiled = Compiled(build, int)
    with django_assert_num_queries(1):
        (found,) = compiled(rep.pk)
    expected = Lead.objects.select_related("owner", "campaign").get(pk=mine.pk)
    assert found.pk == mine.pk
    assert found.email == expected.email
    assert found.created_at == expected.created_at  # converted as the ORM converts
    with django_assert_num_queries(0):  # read with the lead, as select_related does
        assert found.owner == rep
        assert found.campaign == expected.campaign
    assert [lead.pk for lead in compiled(other.owner_id)] == [other.pk]
    assert compiled(-1) == []
    assert len(built) == 1  # built and compiled once, with a stand-in


def test_a_compiled_query_works_out_its_converters_once(monkeypatch):
    from django.db.models.sql.compiler import SQLCompiler

    worked_out = []
    original = SQLCompiler.get_converters

    def get_converters(self, expressions):
        worked_out.append(len(expressions))
        return original(self, expressions)

    monkeypatch.setattr(SQLCompiler, "get_converters", get_converters)
    leads = LeadFactory.create_batch(3, owner=RepFactory(), score=7)
    compiled = Compiled(lambda pk: Lead.objects.filter(pk=pk).select_related("owner"), int)
    calls = []
    for lead in leads:
        worked_out.clear()
        (found,) = compiled(lead.pk)
        calls.append(len(worked_out))
        expected = Lead.objects.get(pk=lead.pk)
        # converted on every read, as the ORM converts: aware times, the owner's row
        assert (found.created_at, found.score, found.owner.pk) == (
            expected.created_at,
            7,
            lead.owner_id,
        )
        assert found.created_at.tzinfo is not None
    assert calls == [1, 0, 0]  # worked out when compiled, then kept


def test_a_compiled_query_takes_times_dates_and_text_and_reads_values_rows():
    now = timezone.now()
    old = LeadFactory(company="Acme", created_at=now - dt.timedelta(days=3))
    LeadFactory(company="Acme", created_at=now)
    LeadFactory(company="Other", created_at=now - dt.timedelta(days=3))
    compiled = Compiled(
        lambda company, before, day: Lead.objects.filter(
            company=company, created_at__lt=before, created_at__date__lte=day
        ).values_list("pk", "company", named=True),
        str,
        dt.datetime,
        dt.date,
    )
    rows = compiled("Acme", now - dt.timedelta(days=1), now.date())
    assert [(row.pk, row.company) for row in rows] == [(old.pk, "Acme")]
    assert compiled("Acme", now + dt.timedelta(days=1), now.date() - dt.timedelta(days=10)) == []
    assert len(compiled("Acme", now + dt.timedelta(days=1), now.date())) == 2


def test_a_compiled_query_refuses_a_value_computed_into_its_sql():
    # Compiled once, a time two hours after the first call's would be every call's.
    later = Compiled(
        lambda now: Lead.objects.filter(created_at__lt=now + dt.timedelta(hours=2)), dt.datetime
    )
    with pytest.raises(ValueError, match="computed from a value"):
        later(timezone.now())
    pattern = Compiled(lambda text: Lead.objects.filter(company__icontains=text), str)
    with pytest.raises(ValueError, match="computed from a value"):
        pattern("acme")
    near = Compiled(lambda pk: Lead.objects.filter(pk=pk + 1), int)
    with pytest.raises(ValueError, match="computed from a value"):
        near(1)


def test_a_compiled_query_refuses_values_that_would_change_its_statement():
    by_owner = Compiled(lambda owner: Lead.objects.filter(owner_id=owner), int)
    with pytest.raises(TypeError, match="expected int"):
        by_owner(None)  # IS NULL: another statement
    with pytest.raises(TypeError, match="expected int"):
        by_owner(True)
    with pytest.raises(TypeError, match="expected 1 values"):
        by_owner()
    since = Compiled(lambda day: Lead.objects.filter(created_at__date__gte=day), dt.date)
    with pytest.raises(TypeError, match="expected a date"):
        since(timezone.now())
    prefetching = Compiled(lambda: Lead.objects.prefetch_related("transitions"))
    with pytest.raises(ValueError, match="models, values or values_list"):
        prefetching()


def test_a_filters_drop_down_compiles_its_query_once_for_every_form(monkeypatch):
    # Django deep-copies a form's fields, choices included, for every form it builds: the
    # compiled query must be shared by the copies, not compiled afresh each request.
    from leads.filters import LeadFilter

    RepFactory(first_name="Rita", last_name="Reyes")
    compiled = []
    compile_query = Prepared._compile
    monkeypatch.setattr(
        Prepared, "_compile", lambda self: compiled.append(self) or compile_query(self)
    )
    for _ in range(3):
        owners = LeadFilter(data={}, queryset=Lead.objects.all()).form.fields["owner"]
        assert [label for _, label in owners.choices][1:] == ["Rita Reyes"]
    assert len(compiled) <= 2  # the campaigns' and the reps', each once at most


def test_a_prepared_query_refuses_columns_that_need_converting():

    prepared = Prepared(lambda: ServiceLevelAgreement.objects.values_list("mql_required_fields"))
    with pytest.raises(ValueError, match="converting"):
        prepared.rows()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_hold_lock_is_held_until_the_transaction_ends():
    import psycopg
    from django.conf import settings

    key = zlib.crc32(b"test:lock")
    db = settings.DATABASES["default"]
    other = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        host=db["HOST"],
        port=db["PORT"] or 5432,
        password=db["PASSWORD"],
        autocommit=True,
    )

    def free():
        return other.execute("SELECT pg_try_advisory_xact_lock(%s)", [key]).fetchone()[0]

    try:
        with pytest.raises(RuntimeError, match="outside a transaction"):
            hold_lock("test:lock")
        with transaction.atomic():
            hold_lock("test:lock")
            assert not free()
        assert free()
    finally:
        other.close()


def test_one_of_sends_the_values_as_one_parameter_and_lowers_them_as_the_database_does():
    ada = LeadFactory(email="ada@engine.example", external_id="A-1", first_name="İlker")
    LeadFactory(email="bob@engine.example", external_id="B-2", first_name="ilker")
    ids = one_of(["A-1", "nobody", 'it\'s "quoted"'])
    assert list(Lead.objects.filter(external_id__in=ids)) == [ada]
    assert len(ids.params) == 1
    assert not Lead.objects.filter(external_id__in=one_of([])).exists()
    # Lowered by the database, whatever it makes of "İ" (SQLite lowers ASCII letters only).
    named = Lead.objects.annotate(low=Lower("first_name"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT LOWER(%s)", ["İLKER"])
        expected = set(named.filter(low=cursor.fetchone()[0]))
    assert ada in expected
    assert set(named.filter(low__in=one_of(["İLKER"], lower=True))) == expected


def test_a_queryset_built_once_is_built_once_per_thread_and_copied_for_each_use():
    built = []

    def build():
        built.append(threading.get_ident())
        return Campaign.objects.order_by("name")

    campaigns = BuiltOnce(build)
    first, second = campaigns(), campaigns()
    assert built == [threading.get_ident()]
    assert first is not second
    assert first.query is not second.query
    narrowed = first.filter(name="Spring")
    assert "Spring" not in str(second.query)
    assert "Spring" in str(narrowed.query)
    elsewhere = threading.Thread(target=campaigns)
    elsewhere.start()
    elsewhere.join()
    assert len(built) == 2  # the other thread built its own
    assert campaigns.queryset._result_cache is None  # never evaluated itself


def test_unmapped_reads_read_through_the_page_cache_and_map_again_after(tmp_path, settings):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL maps nothing")
    from django.db.backends.sqlite3.base import DatabaseWrapper

    database = DatabaseWrapper({**settings.DATABASES["default"], "NAME": str(tmp_path / "x.db")})
    try:

        def mapped():
            with database.cursor() as cursor:
                cursor.execute("PRAGMA mmap_size")
                return cursor.fetchone()[0]

        with database.cursor() as cursor:
            cursor.execute("PRAGMA mmap_size = 1048576")
        with unmapped_reads(database):
            assert mapped() == 0
        assert mapped() == 1048576
    finally:
        database.close()


def _prepared_statements() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement FROM pg_prepared_statements")
        return dict(cursor.fetchall())


@requires_postgres
def test_a_compiled_query_is_prepared_once_per_postgresql_session(django_assert_num_queries):
    rep = RepFactory()
    mine = LeadFactory(owner=rep, company="50% off")
    LeadFactory(owner=rep, company="Other")
    compiled = Compiled(
        lambda owner, since: Lead.objects.filter(
            owner_id=owner, company__contains="%", created_at__gte=since
        ).select_related("owner"),
        int,
        dt.datetime,
    )
    long_ago = timezone.now() - dt.timedelta(days=1)
    with django_assert_num_queries(1):  # EXECUTE (PREPARE is the session's set-up)
        (found,) = compiled(rep.pk, long_ago)
    assert (found.pk, found.owner, found.company) == (mine.pk, rep, "50% off")
    name, statement = compiled.compiled[-1]
    assert _prepared_statements()[name].startswith(f"PREPARE {name}(int8, timestamptz) AS SELECT")
    assert "$1" in statement
    assert "$2" in statement
    assert "'%%'" not in statement  # the LIKE pattern written as PostgreSQL reads it
    with django_assert_num_queries(1):  # EXECUTE only
        assert compiled(rep.pk, timezone.now()) == []
    # A new session (after a reconnection) holds no prepared statement: prepared again.
    connection.connection.execute(f"DEALLOCATE {name}")
    connection.handoff_prepared = (object(), {})  # as if the driver's connection were new
    assert [lead.pk for lead in compiled(rep.pk, long_ago)] == [mine.pk]
    assert name in _prepared_statements()


@requires_postgres
def test_a_query_postgresql_will_not_prepare_runs_as_it_is(settings):
    lead = LeadFactory()
    compiled = Compiled(lambda pk: Lead.objects.filter(pk=pk), int)
    compiled(lead.pk)
    name, _ = compiled.compiled[-1]
    compiled.compiled = (*compiled.compiled[:-1], (f"{name}_bad", "PREPARE nonsense"))
    with transaction.atomic():
        assert [found.pk for found in compiled(lead.pk)] == [lead.pk]  # refused, then read
        assert Lead.objects.filter(pk=lead.pk).exists()  # and the transaction still works
    settings.HANDOFF_PREPARED_QUERIES = False
    unprepared = Compiled(lambda pk: Lead.objects.filter(pk=pk), int)
    assert [found.pk for found in unprepared(lead.pk)] == [lead.pk]
    assert unprepared.compiled[-1] is None


@requires_postgres
def test_no_query_is_prepared_when_each_request_opens_its_own_session(monkeypatch):
    lead = LeadFactory()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    compiled = Compiled(lambda pk: Lead.objects.filter(pk=pk), int)
    assert [found.pk for found in compiled(lead.pk)] == [lead.pk]
    assert compiled.compiled[-1] is None


@requires_postgres
def test_a_prepared_query_is_a_prepared_statement_on_postgresql(django_assert_num_queries):
    CampaignFactory(name="Beta")
    CampaignFactory(name="Alpha")
    prepared = Prepared(lambda: Campaign.objects.order_by("name").values_list("pk", "name"))
    with django_assert_num_queries(1):  # EXECUTE (PREPARE is the session's set-up)
        assert [name for _, name in prepared.rows()] == ["Alpha", "Beta"]
    name, statement = prepared.compiled[-1]
    assert statement.startswith(f"PREPARE {name} AS SELECT")
    assert name in _prepared_statements()
    CampaignFactory(name="Gamma")
    assert [name for _, name in prepared.rows()] == ["Alpha", "Beta", "Gamma"]


@requires_postgres
def test_a_fixed_statement_is_prepared_on_postgresql_and_reads_as_it_would(client):
    rep = RepFactory(first_name="Rita")
    sql = "SELECT first_name FROM auth_user WHERE id = %s AND username LIKE %s"
    with connection.cursor() as cursor:
        execute_fixed(connection, cursor, sql, [rep.pk, "%"])
        assert cursor.fetchall() == [("Rita",)]
        execute_fixed(connection, cursor, sql, [rep.pk, "nobody%"])
        assert cursor.fetchall() == []
    statements = _prepared_statements().values()
    assert any(text.endswith("WHERE id = $1 AND username LIKE $2") for text in statements)
    # The session and the signed-in user, read on every request, are prepared statements too.
    client.force_login(rep)
    assert client.get("/inbox/").context["user"] == rep
    assert any("django_session" in text for text in _prepared_statements().values())


@requires_postgres
def test_a_failed_transaction_does_not_keep_a_query_from_being_prepared():
    from django.db import DatabaseError

    lead = LeadFactory()
    compiled = Compiled(lambda pk: Lead.objects.filter(pk=pk), int)
    with transaction.atomic():
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
        # The transaction is aborted: the query fails as it would unprepared.
        with pytest.raises(DatabaseError):
            compiled(lead.pk)
        transaction.set_rollback(True)
    assert [found.pk for found in compiled(lead.pk)] == [lead.pk]
    name, _ = compiled.compiled[-1]
    assert name in _prepared_statements()
