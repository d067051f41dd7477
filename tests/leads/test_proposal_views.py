"""Proposal pages through the test client: the editor with its lines, the status buttons, the
list with its filters and totals, and the printable document."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from leads import services
from leads.models import Proposal
from tests.factories import OpportunityFactory, ProposalFactory, ProposalLineFactory, RepFactory

LIST = reverse("leads:proposal-list")
Status = Proposal.Status


def _new_url(deal):
    return reverse("leads:proposal-create", args=[deal.pk])


def _action(proposal, action):
    return reverse("leads:proposal-action", args=[proposal.pk, action])


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def _form(lines, **fields):
    data = {
        "title": "Rollout offer",
        "valid_until": (timezone.localdate() + dt.timedelta(days=20)).isoformat(),
        "tax_rate": "20",
        "terms": "Net 30",
        "lines-TOTAL_FORMS": len(lines),
        "lines-INITIAL_FORMS": 0,
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 1000,
    }
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    return data | fields


LINE = {"description": "Seats", "quantity": "10", "unit_price": "49.99", "discount_percent": "10"}
BLANK = {"description": "", "quantity": "1", "unit_price": "", "discount_percent": "0"}


@pytest.fixture
def deal(rep):
    return OpportunityFactory(owner=rep, stage="demo", probability=25)


@pytest.fixture
def sent(deal, rep):
    proposal = ProposalFactory(opportunity=deal)
    ProposalLineFactory(proposal=proposal)
    return services.proposal_send(proposal=proposal, by=rep)


# --- Access --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 200), ("rep", 200), ("manager", 200), ("outsider", 403)]
)
def test_proposal_list_and_page_by_role(client, request, sent, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(LIST).status_code == status
    assert client.get(sent.get_absolute_url()).status_code == status
    assert client.get(reverse("leads:proposal-print", args=[sent.pk])).status_code == status


def test_another_rep_s_proposal_is_a_404(client, other_rep, sent):
    client.force_login(other_rep)
    assert client.get(sent.get_absolute_url()).status_code == 404
    assert client.post(_action(sent, "accept")).status_code == 404
    sent.refresh_from_db()
    assert sent.status == Status.SENT


@pytest.mark.parametrize("who", ["marketer", "outsider"])
def test_only_sales_writes_or_answers_proposals(client, request, deal, sent, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(_new_url(deal)).status_code == 403
    assert client.post(_action(sent, "accept")).status_code == 403


def test_anonymous_users_go_to_login(client, sent):
    for url in (LIST, sent.get_absolute_url(), reverse("leads:proposal-print", args=[sent.pk])):
        response = client.get(url)
        assert response["Location"].startswith(reverse("login"))


# --- The editor -----------------------------------------------------------------------------


def test_a_rep_writes_a_proposal_with_three_lines_blank_rows_left_out(client, rep, deal):
    client.force_login(rep)
    lines = [
        LINE,
        {
            "description": "Onboarding",
            "quantity": "1",
            "unit_price": "1500",
            "discount_percent": "0",
        },
        {
            "description": "Support",
            "quantity": "12",
            "unit_price": "99.95",
            "discount_percent": "12.5",
        },
        BLANK,
    ]
    response = client.post(_new_url(deal), _form(lines))
    proposal = Proposal.objects.get()
    assert response["Location"] == proposal.get_absolute_url()
    # 449.91 + 1500.00 + 1049.475 → 1049.48; subtotal 2999.39; tax 599.878 → 599.88
    assert (proposal.subtotal, proposal.tax_amount, proposal.total) == (
        Decimal("2999.39"),
        Decimal("599.88"),
        Decimal("3599.27"),
    )
    assert [line.description for line in proposal.lines.all()] == [
        "Seats",
        "Onboarding",
        "Support",
    ]
    assert (proposal.status, proposal.version, proposal.author) == (Status.DRAFT, 1, rep)


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ({**LINE, "quantity": "0"}, "quantity", "more than zero"),
        ({**LINE, "discount_percent": "101"}, "discount_percent", "less than or equal to 100"),
        ({**LINE, "unit_price": "-1"}, "unit_price", "greater than or equal to 0"),
        ({**LINE, "description": ""}, "description", "required"),
    ],
)
def test_bad_lines_re_render_with_the_error_on_the_line(client, rep, deal, line, field, message):
    client.force_login(rep)
    response = client.post(_new_url(deal), _form([LINE, line]))
    assert response.status_code == 400
    assert message in " ".join(response.context["lines"].forms[1].errors[field])
    assert 'value="Rollout offer"' in response.content.decode()
    assert not Proposal.objects.exists()


def test_a_proposal_without_lines_is_refused(client, rep, deal):
    client.force_login(rep)
    response = client.post(_new_url(deal), _form([BLANK]))
    assert response.status_code == 400
    assert "Add at least one line." in response.content.decode()


def test_a_tax_rate_over_100_is_refused(client, rep, deal):
    client.force_login(rep)
    response = client.post(_new_url(deal), _form([LINE], tax_rate="120"))
    assert response.status_code == 400
    assert "0–100" in " ".join(response.context["form"].errors["tax_rate"])


def test_the_editor_for_a_new_proposal_has_sensible_defaults(client, rep, deal):
    client.force_login(rep)
    response = client.get(_new_url(deal))
    initial = response.context["form"].initial
    assert initial["valid_until"] == timezone.localdate() + dt.timedelta(days=30)
    assert initial["title"] == f"Proposal for {deal.account}"
    assert len(response.context["lines"].forms) == 3
    assert 'value="' + initial["valid_until"].isoformat() + '"' in response.content.decode()


def test_while_a_draft_exists_new_goes_to_editing_it(client, rep, deal):
    draft = ProposalFactory(opportunity=deal)
    client.force_login(rep)
    response = client.get(_new_url(deal))
    assert response["Location"] == reverse("leads:proposal-update", args=[draft.pk])


def test_editing_a_draft_replaces_its_lines(client, rep, deal):
    draft = ProposalFactory(opportunity=deal)
    ProposalLineFactory.create_batch(2, proposal=draft)
    client.force_login(rep)
    url = reverse("leads:proposal-update", args=[draft.pk])
    assert len(client.get(url).context["lines"].forms) == 3  # two lines and one blank
    client.post(url, _form([LINE], tax_rate="0"))
    draft.refresh_from_db()
    assert [line.description for line in draft.lines.all()] == ["Seats"]
    assert draft.total == Decimal("449.91")


def test_a_sent_proposal_cannot_be_edited(client, rep, sent):
    client.force_login(rep)
    response = client.get(reverse("leads:proposal-update", args=[sent.pk]), follow=True)
    assert "revise it instead" in " ".join(_messages(response))


# --- Status buttons -------------------------------------------------------------------------


def test_send_accept_then_close_won_from_the_offered_form(client, rep, deal):
    draft = ProposalFactory(opportunity=deal)
    ProposalLineFactory(proposal=draft)
    client.force_login(rep)
    client.post(_action(draft, "send"))
    draft.refresh_from_db()
    deal.refresh_from_db()
    assert (draft.status, deal.stage) == (Status.SENT, "proposal")
    response = client.post(_action(draft, "accept"))
    assert response["Location"] == deal.get_absolute_url() + "?action=won#actions"
    page = client.get(response["Location"])
    assert page.context["open_action"] == "won"
    assert "Close the deal as won?" in " ".join(_messages(page))


def test_revise_opens_the_new_draft_in_the_editor(client, rep, sent):
    client.force_login(rep)
    response = client.post(_action(sent, "revise"))
    revision = Proposal.objects.get(version=2)
    assert response["Location"] == reverse("leads:proposal-update", args=[revision.pk])
    page = client.get(sent.get_absolute_url())
    assert [v.version for v in page.context["versions"]] == [2, 1]
    assert page.context["can_revise"] is False  # v2 is newer


def test_refusals_come_back_as_messages(client, rep, sent):
    client.force_login(rep)
    client.post(_action(sent, "decline"))
    response = client.post(_action(sent, "accept"), follow=True)
    assert "only a sent proposal can be accepted" in " ".join(_messages(response))
    assert client.post(_action(sent, "burn")).status_code == 404
    assert client.get(_action(sent, "accept")).status_code == 405


def test_an_expired_proposal_shows_as_such_and_offers_revise_not_accept(client, rep, deal):
    expired = ProposalFactory(
        opportunity=deal, status=Status.SENT, valid_until=timezone.localdate() - dt.timedelta(1)
    )
    client.force_login(rep)
    response = client.get(expired.get_absolute_url())
    assert response.context["object"].state == Status.EXPIRED
    assert (response.context["can_answer"], response.context["can_revise"]) == (False, True)
    assert "expired on" in response.content.decode()


# --- The list -------------------------------------------------------------------------------


def test_the_list_filters_by_state_owner_amount_and_expiry_with_totals(
    client, manager, rep, other_rep
):
    today = timezone.localdate()
    mine = OpportunityFactory(owner=rep)
    theirs = OpportunityFactory(owner=other_rep)
    ProposalFactory(opportunity=mine, version=1, status=Status.DRAFT, total=Decimal("100"))
    ProposalFactory(
        opportunity=theirs,
        version=1,
        status=Status.SENT,
        valid_until=today + dt.timedelta(days=3),
        total=Decimal("2000"),
    )
    ProposalFactory(
        opportunity=theirs,
        version=2,
        status=Status.SENT,
        valid_until=today - dt.timedelta(days=1),
        total=Decimal("500"),
    )
    client.force_login(manager)

    def titles(**params):
        response = client.get(LIST, params)
        rows = response.context["proposal_list"]
        return [(p.opportunity__owner__username, p.state) for p in rows]

    assert sorted(titles()) == [("other_rep", "sent"), ("rep", "draft")]  # open by default
    assert titles(state="expired") == [("other_rep", "expired")]
    assert titles(expiring_within=7) == [("other_rep", "sent")]
    assert titles(owner=rep.pk) == [("rep", "draft")]
    assert titles(total_min=400, total_max=600, state="all") == [("other_rep", "expired")]
    response = client.get(LIST, {"state": "all"})
    assert response.context["totals"] == {"count": 3, "total": Decimal("2600.00")}


def test_a_rep_s_list_has_only_their_proposals(client, rep, other_rep):
    ProposalFactory(opportunity__owner=rep, title="Mine")
    ProposalFactory(opportunity__owner=other_rep, title="Theirs")
    client.force_login(rep)
    response = client.get(LIST, {"state": "all"})
    assert [p.title for p in response.context["proposal_list"]] == ["Mine"]
    assert "owner" not in response.context["filter"].form.fields


def test_list_empty_states(client, manager):
    client.force_login(manager)
    assert "No drafts and no proposals awaiting" in client.get(LIST).content.decode()
    assert "No proposal matches" in client.get(LIST, {"q": "zzz"}).content.decode()


def test_list_query_count_is_flat(client, manager, django_assert_max_num_queries):
    reps = RepFactory.create_batch(3)
    for i in range(120):
        ProposalFactory(opportunity__owner=reps[i % 3])
    client.force_login(manager)
    with django_assert_max_num_queries(6):
        response = client.get(LIST, {"ordering": "-total"})
    assert len(response.context["proposal_list"]) == 50
    assert response.context["paginator"].count == response.context["totals"]["count"] == 120


def test_proposal_page_query_count_is_flat(client, rep, deal, django_assert_max_num_queries):
    for version in range(1, 6):
        proposal = ProposalFactory(opportunity=deal, version=version, status=Status.DECLINED)
        ProposalLineFactory.create_batch(8, proposal=proposal)
    client.force_login(rep)
    with django_assert_max_num_queries(7):
        response = client.get(proposal.get_absolute_url())
    assert len(response.context["versions"]) == 5


# --- The printable document -----------------------------------------------------------------


def test_the_print_page_is_the_document_alone(client, rep, settings, deal):
    settings.HANDOFF_COMPANY_NAME = "Acme Sales GmbH"
    proposal = ProposalFactory(opportunity=deal, terms="Pay in <b>30</b> days")
    ProposalLineFactory(proposal=proposal, description="Seats", unit_price=Decimal("1234.5"))
    client.force_login(rep)
    html = client.get(reverse("leads:proposal-print", args=[proposal.pk])).content.decode()
    assert "Acme Sales GmbH" in html
    assert proposal.number in html
    assert "1,234.50" in html
    assert "Pay in &lt;b&gt;30&lt;/b&gt; days" in html  # terms are escaped
    assert 'class="navbar' not in html
    assert "Draft" in html  # a draft is watermarked
