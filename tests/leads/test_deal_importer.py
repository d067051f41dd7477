"""The opportunity importer on messy files: owners, foreign stages, amounts, dates, blanks,
repeated rows, lead links, new vs existing customers — and the command around it."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from crm.roles import is_rep
from leads import deal_importer, importer
from leads.models import Account, Lead, LeadTransition, Opportunity, OpportunityStageChange
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory, RepFactory

HEADER = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value"
STAGES = {"prospecting": "discovery", "engaging": "demo"}


def _run(rows, *, header=HEADER, **options):
    text = "\n".join([header, *rows]) + "\n"
    header_cells, _ = importer.read(text)
    mapping = importer.guess_mapping(header_cells, deal_importer.FIELDS)
    values = {"mapping": mapping, "stage_map": dict(STAGES)} | options
    return deal_importer.run(text, deal_importer.Options(**values))


@pytest.fixture
def reps(db):
    return {
        "rita": RepFactory(username="rita", first_name="Rita", last_name="Rep", email="r@x.io"),
        "otto": RepFactory(username="otto", first_name="Otto", last_name="Seller"),
    }


def test_the_header_of_a_public_pipeline_export_is_recognised():
    header = HEADER.split(",")
    assert importer.guess_mapping(header, deal_importer.FIELDS) == {
        "external_id": "opportunity_id",
        "account": "account",
        "owner": "sales_agent",
        "stage": "deal_stage",
        "amount": "close_value",
        "product": "product",
        "created_at": "engage_date",
        "close_date": "close_date",
    }


def test_a_clean_file_creates_deals_accounts_and_history(reps):
    result = _run(
        [
            "D1,rita,GTX Pro,Cancity,Won,2026-01-10,2026-02-01,1054",
            "D2,Otto Seller,GTX Basic,Isdom,Engaging,2026-03-01,2030-06-30,2500.50",
            "D3,r@x.io,MG Special,cancity,Lost,2026-01-15,2026-02-20,0",
        ]
    )
    assert (result.created, result.error_rows) == (3, 0)
    won, demo, lost = (Opportunity.objects.get(external_id=i) for i in ("D1", "D2", "D3"))
    assert (won.owner, won.stage, won.probability, won.amount) == (
        reps["rita"],
        "won",
        100,
        Decimal("1054.00"),
    )
    assert (won.closed_date, won.name, won.product) == (
        dt.date(2026, 2, 1),
        "Cancity — GTX Pro",
        "GTX Pro",
    )
    assert (demo.owner, demo.stage, demo.probability, demo.closed_date) == (
        reps["otto"],
        "demo",
        25,
        None,
    )
    assert demo.expected_close_date == dt.date(2030, 6, 30)
    assert (lost.stage, lost.lost_reason, lost.account) == ("lost", "other", won.account)
    assert Account.objects.count() == 2  # "cancity" is Cancity
    assert Account.objects.get(name="Cancity").customer_since == dt.date(2026, 2, 1)
    assert list(won.stage_changes.values_list("from_stage", "to_stage")) == [
        ("", "discovery"),
        ("discovery", "won"),
    ]
    assert list(demo.stage_changes.values_list("from_stage", "to_stage")) == [("", "demo")]


def test_a_deal_after_a_won_deal_of_the_same_account_is_an_upsell(reps):
    _run(
        [
            "D2,rita,Add-on,Acme,Engaging,2026-05-01,2030-01-01,10",
            "D1,rita,Core,Acme,Won,2026-01-10,2026-02-01,100",
            "D0,rita,Pilot,Acme,Lost,2026-01-01,2026-01-05,0",
        ]
    )
    types = dict(Opportunity.objects.values_list("external_id", "type"))
    assert types == {"D0": "new_business", "D1": "new_business", "D2": "upsell"}


def test_an_explicit_type_wins_over_history(reps):
    header = HEADER + ",type"
    _run(
        [
            "D1,rita,Core,Acme,Won,2026-01-10,2026-02-01,100,",
            "D2,rita,Core,Acme,Engaging,2026-05-01,2030-01-01,10,Renewal",
        ],
        header=header,
    )
    assert Opportunity.objects.get(external_id="D2").type == "renewal"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1054", "1054.00"),
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1 234,5", "1234.50"),
        ("$4,514", "4514.00"),
        ("€99", "99.00"),
        ("12,5", "12.50"),
        ("0.005", "0.01"),
    ],
)
def test_amounts_as_people_write_them(text, expected):
    assert deal_importer.parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["lots", "-5", "1e400", "NaN", "12..5"])
def test_amounts_that_are_not_amounts(text):
    with pytest.raises(ValueError, match=r"amount|negative|large"):
        deal_importer.parse_amount(text)


def test_bad_rows_are_reported_with_row_column_and_reason_and_left_out_whole(reps):
    result = _run(
        [
            "D1,rita,X,Acme,Won,2026-01-10,2026-02-01,100",
            "D2,nobody,X,Acme,Won,2026-01-10,2026-02-01,100",
            "D3,rita,X,Acme,Negotiating,2026-01-10,2026-02-01,100",
            "D4,rita,X,Acme,Won,2026-01-10,2099-02-01,100",
            "D5,rita,X,Acme,Engaging,2026-01-10,,100",
            "D6,rita,X,,Won,2026-01-10,2026-02-01,100",
            "D7,rita,X,Acme,Won,2026-01-10,2026-02-01,-3",
            "D8,rita,X,Acme,Won,31/31/2026,2026-02-01,1",
            "D1,rita,X,Acme,Won,2026-01-10,2026-02-01,100",
            ",rita,X,Acme,Won,2026-01-10,2026-02-01,100",
            "D9,rita,X,Acme,Won,2026-03-10,2026-02-01,100",
        ]
    )
    assert result.created == 1
    problems = {(e.row, e.column): e.message for e in result.errors}
    assert "is not a user" in problems[(3, "sales_agent")]
    assert "map it to one" in problems[(4, "deal_stage")]
    assert problems[(5, "close_date")] == "is in the future for a closed deal"
    assert problems[(6, "close_date")] == "needs an expected close date"
    assert problems[(7, "account")] == "needs account"
    assert problems[(8, "close_value")] == "is negative"
    assert "not a real date" in problems[(9, "engage_date")]
    assert problems[(10, "opportunity_id")] == "repeats the deal on row 2"
    assert problems[(11, "opportunity_id")] == "needs external_id"
    assert problems[(12, "close_date")] == "is before the created date"
    assert Opportunity.objects.count() == 1
    assert "row,column,value,message" in result.error_csv()


def test_unknown_owners_become_reps_when_asked(reps):
    result = _run(
        [
            "D1,Moses Frase,X,Acme,Won,2026-01-10,2026-02-01,100",
            "D2,moses  frase,X,Acme,Lost,2026-01-10,2026-02-01,0",
            "D3,someone@elsewhere.io,X,Acme,Lost,2026-01-10,2026-02-01,0",
        ],
        create_users=True,
    )
    assert result.created == 2
    user = get_user_model().objects.get(username="moses.frase")
    assert (user.first_name, user.last_name, user.has_usable_password()) == (
        "Moses",
        "Frase",
        False,
    )
    assert is_rep(user)
    assert set(Opportunity.objects.values_list("owner__username", flat=True)) == {"moses.frase"}
    assert "is not a user" in result.errors[0].message  # e-mails are never invented


def test_a_dry_run_checks_everything_and_writes_nothing(reps):
    result = _run(
        ["D1,Ann New,X,Acme,Won,2026-01-10,2026-02-01,100"], dry_run=True, create_users=True
    )
    assert result.created == 1
    assert not Opportunity.objects.exists()
    assert not Account.objects.exists()
    assert not get_user_model().objects.filter(username="ann.new").exists()


def test_known_deals_are_skipped_or_updated_with_the_amount_change_recorded(reps):
    deal = OpportunityFactory(
        external_id="D1", owner=reps["rita"], amount=Decimal("100"), stage="demo"
    )
    result = _run(["D1,rita,X,Acme,Engaging,2026-01-10,2030-02-01,150"])
    assert (result.created, result.skipped) == (0, 1)
    result = _run(
        ["D1,otto,New product,Acme,Engaging,2026-01-10,2030-02-01,150"], on_duplicate="update"
    )
    assert result.updated == 1
    deal.refresh_from_db()
    assert (deal.owner, deal.amount, deal.product) == (
        reps["otto"],
        Decimal("150.00"),
        "New product",
    )
    assert deal.expected_close_date == dt.date(2030, 2, 1)
    change = deal.stage_changes.get()
    assert (change.from_amount, change.to_amount) == (Decimal("100.00"), Decimal("150.00"))
    result = _run(["D1,otto,X,Acme,Won,2026-01-10,2026-02-01,150"], on_duplicate="update")
    assert "move it in the app" in result.errors[0].message


def test_a_lead_id_links_the_deal_and_converts_the_lead_with_a_trace(reps):
    lead = LeadFactory(external_id="L-1", stage="sql", owner=reps["rita"])
    header = HEADER + ",lead_id"
    result = _run(
        [
            "D1,rita,X,Acme,Won,2026-01-10,2026-02-01,100,L-1",
            "D2,rita,X,Acme,Won,2026-01-10,2026-02-01,100,L-404",
        ],
        header=header,
    )
    assert result.created == 1
    assert result.errors[0].message == "is not the external id of a lead"
    lead.refresh_from_db()
    deal = Opportunity.objects.get(external_id="D1")
    assert (lead.opportunity, lead.stage, lead.account) == (deal, "converted", deal.account)
    assert lead.closed_at is not None
    transition = LeadTransition.objects.get(lead=lead)
    assert (transition.from_stage, transition.to_stage) == ("sql", "converted")


def test_a_lead_already_linked_to_another_deal_is_refused(reps):
    lead = LeadFactory(external_id="L-1", stage="converted")
    OpportunityFactory(lead=lead)
    header = HEADER + ",lead_id"
    result = _run(["D1,rita,X,Acme,Won,2026-01-10,2026-02-01,100,L-1"], header=header)
    assert result.errors[0].message == "is already linked to another deal"
    assert Opportunity.objects.count() == 1


def test_an_existing_account_is_reused_and_its_earlier_customer_date_kept(reps):
    account = AccountFactory(name="Acme", customer_since=dt.date(2025, 1, 1))
    _run(["D1,rita,X,ACME,Won,2026-01-10,2026-02-01,100"])
    account.refresh_from_db()
    assert account.customer_since == dt.date(2025, 1, 1)
    assert Opportunity.objects.get().account == account


def test_a_file_without_the_needed_columns_is_refused_whole():
    with pytest.raises(importer.FileProblem, match="Owner, Stage"):
        _run(["1,Acme"], header="opportunity_id,account")


def test_missing_engage_dates_default_to_now(reps):
    _run(["D1,rita,X,Acme,Engaging,,2030-02-01,5"])
    assert timezone.now() - Opportunity.objects.get().created_at < dt.timedelta(minutes=1)


# --- The command ----------------------------------------------------------------------------


def test_the_command_imports_a_file_with_stage_map_and_created_users(tmp_path, db):
    path = tmp_path / "deals.csv"
    path.write_text(
        HEADER + "\n"
        'D1,New Rep,X,Acme,Prospecting,01/02/2026,03/04/2030,"1,200"\n'
        "D2,New Rep,X,Acme,Closed Won,01/02/2026,03/02/2026,300\n"
        "D3,New Rep,X,Acme,Stalled,01/02/2026,03/02/2026,300\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command(
        "import_opportunities",
        str(path),
        "--stage-map",
        "Prospecting=discovery",
        "--create-users",
        "--dayfirst",
        stdout=out,
    )
    assert "2 created" in out.getvalue()
    assert "1 rows with errors" in out.getvalue()
    assert (tmp_path / "deals.errors.csv").read_text().count("\n") == 2
    deal = Opportunity.objects.get(external_id="D1")
    assert (deal.stage, deal.amount, deal.created_at.date()) == (
        "discovery",
        Decimal("1200.00"),
        dt.date(2026, 2, 1),
    )
    assert deal.expected_close_date == dt.date(2030, 4, 3)
    assert OpportunityStageChange.objects.count() == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stage-map", "Foo=bar"], "is not a stage"),
        (["--map", "colour=account"], "is not a deal field"),
        (["--as", "ghost"], "No user is called"),
    ],
)
def test_the_command_refuses_bad_options(tmp_path, db, args, message):
    path = tmp_path / "deals.csv"
    path.write_text(HEADER + "\nD1,x,X,Acme,Won,2026-01-10,2026-02-01,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("import_opportunities", str(path), *args, stdout=StringIO())
    assert not Lead.objects.exists()
