import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.core.validators import validate_email

from leads import importer, services
from leads.models import Lead, LeadTransition, ScoringRule
from tests.factories import CampaignFactory, LeadFactory, RepFactory, SLAFactory

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


def _text(name: str) -> str:
    return importer.decode((DATA / name).read_bytes())


def _run(name, **options):
    text = _text(name)
    header, _ = importer.read(text)
    mapping = options.pop("mapping", None) or importer.guess_mapping(header)
    return importer.run(text, importer.Options(mapping=mapping, **options))


# --- Reading and guessing ------------------------------------------------------------------------


def test_the_header_guesses_the_columns_from_synonyms():
    header, _ = importer.read(_text("messy_semicolon_bom.csv"))
    assert importer.guess_mapping(header) == {
        "first_name": "First Name",
        "last_name": "Surname",
        "email": "E-mail Address",
        "phone": "Phone",
        "company": "Organisation",
        "job_title": "Title",
        "company_size": "Employees",
        "channel": "Lead Source",
        "created_at": "Created On",
    }
    assert importer.guess_mapping(["Email", "Name"]) == {"email": "Email", "full_name": "Name"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("caf\u00e9".encode("latin-1") + b",x\n", "not UTF-8"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(raw, message):
    with pytest.raises(importer.FileProblem, match=message):
        importer.decode(raw)


def test_a_header_with_a_repeated_name_is_refused():
    with pytest.raises(importer.FileProblem, match="same name"):
        importer.read("email,email\na@b.c,d@e.f\n")


def test_a_mapping_needs_a_key_and_a_name():
    with pytest.raises(importer.FileProblem, match="E-mail or to External id"):
        importer.run("First,Company\nA,B\n", importer.Options(mapping={"first_name": "First"}))
    with pytest.raises(importer.FileProblem, match="First name"):
        importer.run("Email\na@b.example\n", importer.Options(mapping={"email": "Email"}))
    with pytest.raises(importer.FileProblem, match="does not have: Nope"):
        importer.run("Email\na@b.example\n", importer.Options(mapping={"email": "Nope"}))


# --- Parsing values ------------------------------------------------------------------------------

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    ("text", "dayfirst", "expected"),
    [
        ("2026-03-31", True, dt.datetime(2026, 3, 31, tzinfo=UTC)),
        ("2026-03-31T14:05:09Z", False, dt.datetime(2026, 3, 31, 14, 5, 9, tzinfo=UTC)),
        ("2026-03-31 14:05", True, dt.datetime(2026, 3, 31, 14, 5, tzinfo=UTC)),
        ("2026-03-31T14:05:00+02:00", True, dt.datetime(2026, 3, 31, 12, 5, tzinfo=UTC)),
        ("01/02/2026", True, dt.datetime(2026, 2, 1, tzinfo=UTC)),
        ("01/02/2026", False, dt.datetime(2026, 1, 2, tzinfo=UTC)),
        ("31/03/2026", False, dt.datetime(2026, 3, 31, tzinfo=UTC)),  # only one reading works
        ("03/31/2026 9:30", True, dt.datetime(2026, 3, 31, 9, 30, tzinfo=UTC)),
        ("31-03-2026", True, dt.datetime(2026, 3, 31, tzinfo=UTC)),
        ("5.6.2026", True, dt.datetime(2026, 6, 5, tzinfo=UTC)),
    ],
)
def test_dates_in_the_usual_export_formats(text, dayfirst, expected):
    assert importer.parse_date(text, dayfirst=dayfirst) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("yesterday", "not a date"), ("31/02/2026", "not a real date"), ("1/2/26", "four-digit")],
)
def test_bad_dates_say_why(text, message):
    with pytest.raises(ValueError, match=message):
        importer.parse_date(text, dayfirst=True)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("51-200", "51-200"),
        ("51–200", "51-200"),
        ("1,001–5,000", "1001-5000"),
        ("7", "1-10"),
        ("250", "201-1000"),
        ("12000", "5001+"),
        ("5001+", "5001+"),
    ],
)
def test_company_sizes_from_labels_values_and_headcounts(text, size):
    assert importer.parse_company_size(text) == size


@pytest.mark.parametrize("text", ["large", "²", "-5"])
def test_a_company_size_that_means_nothing_is_an_error(text):
    with pytest.raises(ValueError, match="not a company size"):
        importer.parse_company_size(text)


# --- Importing -----------------------------------------------------------------------------------


def test_the_error_report_keeps_a_formula_in_a_bad_cell_as_text(db):
    text = 'First,Email\nMallory,=HYPERLINK("http://evil.example")\nEve,@SUM(A1)\n'
    options = importer.Options(mapping={"first_name": "First", "email": "Email"})
    report = importer.run(text, options).error_csv().splitlines()
    assert report[1].startswith('2,Email,"\'=HYPERLINK(""http://evil.example"")",')
    assert report[2].startswith("3,Email,'@SUM(A1),")


def test_a_messy_file_imports_what_is_good_and_reports_the_rest():
    result = _run(
        "messy_semicolon_bom.csv", dayfirst=True, channel_map={"linkedin ads": "paid_social"}
    )
    assert (result.created, result.updated, result.skipped, result.rows) == (3, 1, 0, 6)
    assert result.error_rows == 2
    assert {(e.row, e.column) for e in result.errors} == {
        (4, "E-mail Address"),
        (4, "Phone"),
        (4, "Created On"),
        (8, ""),
    }
    report = result.error_csv().splitlines()
    assert report[0] == "row,column,value,message"
    assert any(line.startswith("4,E-mail Address,not-an-email,") for line in report)
    assert not Lead.objects.filter(first_name="Bad").exists()  # nothing half-written
    ada = Lead.objects.get(email__iexact="ada@engines.example")
    assert ada.company == "Analytical Engines Ltd"  # the later row updated the earlier one
    assert (ada.company_size, ada.channel, ada.source_detail) == ("201-1000", "paid_social", "")
    assert ada.created_at == dt.datetime(2026, 3, 31, 14, 30, tzinfo=UTC)
    grace = Lead.objects.get(first_name="Grace")
    assert (grace.channel, grace.company_size) == ("webinar", "1001-5000")
    alan = Lead.objects.get(first_name="Alan")
    assert alan.created_at.date() == dt.date(2026, 6, 5)  # 05-06-2026, day first


def test_unknown_sources_become_other_and_keep_their_name():
    _run("comma_full_names.csv", dayfirst=True)
    linus = Lead.objects.get(email="linus@kernel.example")
    assert (linus.first_name, linus.last_name) == ("Linus", "Torvalds")
    assert (linus.channel, linus.source_detail) == ("other", "Usenet")
    margaret = Lead.objects.get(email="margaret@apollo.example")
    assert margaret.created_at.date() == dt.date(2026, 4, 3)


def test_external_ids_match_when_there_is_no_email():
    result = _run("external_ids.csv")
    assert (result.created, result.updated) == (2, 1)
    assert Lead.objects.get(external_id="CRM-1").job_title == "Director of Web"


def _import_text(text, **options):
    header, _ = importer.read(text)
    return importer.run(text, importer.Options(mapping=importer.guess_mapping(header), **options))


def test_an_external_id_another_lead_holds_is_a_row_error_not_a_crash():
    holder = LeadFactory(email="ada@example.com", external_id="CRM-1", campaign=None)
    text = (
        "Email,First name,External id\n"
        "grace@example.com,Grace,CRM-1\n"  # a new lead claiming Ada's id
        "ada@example.com,Ada,CRM-1\n"  # Ada herself: fine
        "linus@example.com,Linus,CRM-2\n"
        "margaret@example.com,Margaret,CRM-2\n"  # the id Linus took two rows up
        "grace@example.com,Grace,CRM-3\n"
    )
    for dry_run in (True, False):
        result = _import_text(text, dry_run=dry_run)
        assert [(e.row, e.column, e.value) for e in result.errors] == [
            (2, "External id", "CRM-1"),
            (5, "External id", "CRM-2"),
        ]
        assert result.errors[0].message == "is already the external id of another lead"
        assert result.created == 2  # Linus, and Grace from her second row
    assert Lead.objects.get(external_id="CRM-1") == holder
    assert Lead.objects.get(external_id="CRM-2").email == "linus@example.com"
    assert Lead.objects.get(email="grace@example.com").external_id == "CRM-3"
    assert not Lead.objects.filter(email="margaret@example.com").exists()


def test_an_update_may_not_take_an_external_id_another_lead_holds():
    LeadFactory(email="ada@example.com", external_id="CRM-1", campaign=None)
    grace = LeadFactory(email="grace@example.com", external_id="CRM-9", campaign=None)
    result = _import_text("Email,First name,External id\ngrace@example.com,Grace,CRM-1\n")
    assert [(e.row, e.value) for e in result.errors] == [(2, "CRM-1")]
    grace.refresh_from_db()
    assert grace.external_id == "CRM-9"


@pytest.mark.parametrize(
    "address",
    ["İlker@example.tr", "ada@BÜCHER.example", "ada@İSTANBUL.example", "ada@straße.example"],
)
def test_addresses_with_letters_past_ascii_match_as_the_unique_index_does(address):
    lead = LeadFactory(email=address, campaign=None, company="Old")
    result = _import_text(f"Email,First name,Company\n{address},Ada,New\n")
    assert (result.created, result.updated, result.errors) == (0, 1, [])
    lead.refresh_from_db()
    assert lead.company == "New"
    # In capitals: the same lead where the database's LOWER() says so (PostgreSQL lowers
    # "İ"; SQLite only ASCII), else a new one; never a clash with the unique index.
    result = _import_text(f"Email,First name,Company\n{address.upper()},Ada,Newer\n")
    assert not result.errors
    assert result.created + result.updated == 1
    assert Lead.objects.count() == 1 + result.created


def test_known_leads_are_updated_or_skipped_as_asked():
    known = LeadFactory(email="GRACE@navy.example", company="Old name", campaign=None)
    result = _run("messy_semicolon_bom.csv", dayfirst=True, on_duplicate="skip")
    known.refresh_from_db()
    assert known.company == "Old name"
    assert result.skipped == 2  # Grace (known) and the second Ada row
    result = _run("messy_semicolon_bom.csv", dayfirst=True, on_duplicate="update")
    known.refresh_from_db()
    assert known.company == "US Navy"
    assert Lead.objects.filter(email__iexact="grace@navy.example").count() == 1


def test_importing_the_same_file_again_changes_nothing():
    _run("comma_full_names.csv", dayfirst=True)
    again = _run("comma_full_names.csv", dayfirst=True)
    assert (again.created, again.updated, again.skipped) == (0, 0, 2)


def test_a_dry_run_counts_but_writes_nothing():
    result = _run("messy_semicolon_bom.csv", dayfirst=True, dry_run=True)
    assert (result.created, result.error_rows) == (3, 2)
    assert not Lead.objects.exists()


def test_imported_leads_are_scored_and_the_qualified_promoted(sla):
    ScoringRule.objects.create(field="job_title", condition="contains", value="head", points=60)
    campaign = CampaignFactory(channel="event")
    result = _run("messy_semicolon_bom.csv", dayfirst=True, campaign=campaign)
    assert result.promoted == 0  # Ada is a Countess now; nobody else is a head of anything
    result = _run("external_ids.csv", campaign=campaign)
    assert result.promoted == 0  # Tim is a director now: the later row won
    tim = Lead.objects.get(external_id="CRM-1")
    assert (tim.campaign, tim.channel) == (campaign, "event")
    LeadFactory(job_title="Head of Sales", email="x@y.example", score=0, campaign=None)
    text = "Email,First Name,Company,Title\nnew@co.example,New,Co,Head of IT\n"
    result = importer.run(
        text,
        importer.Options(
            mapping=importer.guess_mapping(["Email", "First Name", "Company", "Title"])
        ),
    )
    assert result.promoted == 1
    assert Lead.objects.get(email="new@co.example").stage == Lead.Stage.MQL


def test_a_qualifying_new_lead_goes_in_as_an_mql_as_the_promotion_would_write_it(
    django_capture_on_commit_callbacks,
):
    SLAFactory()  # round robin, score 50 with e-mail and company
    reps = [RepFactory(username=f"rep{i}", email=f"rep{i}@example.com") for i in range(2)]
    ScoringRule.objects.create(field="job_title", condition="contains", value="head", points=60)
    campaign = CampaignFactory(channel="event")
    text = (
        "Email,First Name,Company,Title\n"
        "a@co.example,A,Co,Head of IT\n"
        "b@co.example,B,Co,Head of Ops\n"
        "c@co.example,C,,Head of HR\n"  # no company: not an MQL
        "d@co.example,D,Co,Intern\n"
    )
    mapping = importer.guess_mapping(["Email", "First Name", "Company", "Title"])
    with django_capture_on_commit_callbacks(execute=True):
        result = importer.run(text, importer.Options(mapping=mapping, campaign=campaign))
    assert (result.created, result.promoted) == (4, 2)
    a, b, c, d = Lead.objects.order_by("email")
    assert [lead.stage for lead in (a, b, c, d)] == ["mql", "mql", "new", "new"]
    assert {a.owner, b.owner} == set(reps)
    assert a.reached_mql
    assert a.mql_at == a.stage_changed_at
    assert a.response_due_at
    assert campaign.tally.mqls == 2
    assert campaign.tally.leads == 4
    assert sorted(m.to[0] for m in mail.outbox) == sorted(rep.email for rep in reps)
    imported = LeadTransition.objects.get(lead=a)

    # The same lead made by hand and promoted by the service leaves the same trace.
    twin = LeadFactory(
        email="twin@co.example", company="Co", job_title="Head of IT", campaign=campaign, score=60
    )
    services.leads_promote_qualified(lead_ids=[twin.pk])
    promoted = LeadTransition.objects.get(lead=twin)
    fields = ["from_stage", "to_stage", "actor", "reason", "sla", "campaign", "channel"]
    assert [getattr(imported, f) for f in fields] == [getattr(promoted, f) for f in fields]
    assert imported.qualification == promoted.qualification
    assert imported.qualification["rules"] == [
        {"rule": "Job title contains “head”: +60", "points": 60}
    ]
    assert imported.due_at == a.response_due_at
    assert imported.contact_due_at
    assert LeadTransition.objects.filter(lead__in=[c, d]).count() == 0


def test_an_import_in_many_batches_mails_each_rep_once(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(importer, "BATCH", 2)
    SLAFactory()
    reps = [RepFactory(username=f"rep{i}", email=f"rep{i}@example.com") for i in range(2)]
    ScoringRule.objects.create(field="job_title", condition="contains", value="head", points=60)
    text = "Email,First Name,Company,Title\n" + "".join(
        f"p{i}@co.example,P{i},Co,Head of IT\n" for i in range(5)
    )
    mapping = importer.guess_mapping(["Email", "First Name", "Company", "Title"])
    with django_capture_on_commit_callbacks(execute=True):
        result = importer.run(text, importer.Options(mapping=mapping))
    assert result.promoted == 5
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert len(mail.outbox) == len(reps)
    assert sorted(subjects.values()) == [
        "2 new MQLs for you to accept or reject",
        "3 new MQLs for you to accept or reject",
    ]
    assert "P0" in mail.outbox[0].body or "P0" in mail.outbox[1].body


def test_a_known_new_lead_the_file_makes_qualify_is_promoted(sla):
    ScoringRule.objects.create(field="job_title", condition="contains", value="head", points=60)
    known = LeadFactory(email="k@co.example", company="Co", job_title="Intern", score=0)
    text = "Email,First Name,Company,Title\nk@co.example,K,Co,Head of IT\n"
    mapping = importer.guess_mapping(["Email", "First Name", "Company", "Title"])
    result = importer.run(text, importer.Options(mapping=mapping))
    assert (result.updated, result.promoted) == (1, 1)
    known.refresh_from_db()
    assert (known.stage, known.score) == ("mql", 60)
    assert known.transitions.get().to_stage == "mql"


def test_dates_in_the_future_and_oversized_values_are_row_errors():
    text = (
        "Email,First Name,Created,Company\na@b.example,A,01/01/2099,Co\nc@d.example,C,,{}\n".format(
            "x" * 300
        )
    )
    result = importer.run(
        text,
        importer.Options(
            mapping=importer.guess_mapping(["Email", "First Name", "Created", "Company"])
        ),
    )
    messages = sorted(e.message for e in result.errors)
    assert messages == ["is in the future", "is longer than 200 characters"]
    assert not Lead.objects.exists()


# --- The command ---------------------------------------------------------------------------------


def test_the_import_command_with_its_options(tmp_path):
    campaign = CampaignFactory(slug="summit")
    report = tmp_path / "errors.csv"
    out = StringIO()
    call_command(
        "import_leads",
        str(DATA / "messy_semicolon_bom.csv"),
        "--map",
        "job_title=Title",
        "--campaign",
        "summit",
        "--channel-map",
        "LinkedIn Ads=paid_social",
        "--dayfirst",
        "--errors",
        str(report),
        stdout=out,
    )
    assert "3 created, 1 updated, 0 skipped, 2 rows with errors" in out.getvalue()
    assert report.read_text().startswith("row,column,value,message")
    assert Lead.objects.filter(campaign=campaign).count() == 3


def test_the_import_command_dry_run(tmp_path):
    out = StringIO()
    call_command("import_leads", str(DATA / "external_ids.csv"), "--dry-run", stdout=out)
    assert "Dry run — nothing written" in out.getvalue()
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "favourite=Title"], "not a lead field"),
        (["--map", "broken"], "NAME=VALUE"),
        (["--channel-map", "X=carrier_pigeon"], "not a channel"),
        (["--campaign", "missing"], "No campaign"),
    ],
)
def test_the_import_command_refuses_bad_options(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_leads", str(DATA / "external_ids.csv"), *args, stdout=StringIO())


def test_the_import_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_leads", str(tmp_path / "nope.csv"), stdout=StringIO())


@pytest.mark.parametrize(
    "address",
    [
        "a@b.example",
        "bad@",
        "x@localhost",
        "a@[127.0.0.1]",
        "a@[IPv6:::1]",
        "ünï@exämple.com",
        "a@exämple.com",
        '"q t"@x.org',
        "a..b@x.org",
        "a@-x.org",
        "a@x",
        "a" * 70 + "@x.org",
    ],
)
def test_the_import_checks_addresses_exactly_as_django_does(address):
    def accepts(check):
        try:
            check(address)
        except ValidationError:
            return False
        return True

    assert accepts(importer.validate_email) == accepts(validate_email)
