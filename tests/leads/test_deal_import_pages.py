"""Importing deals in the browser: managers only; upload, map, preview, import, error report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leads.models import LeadImport, Opportunity
from tests.factories import RepFactory

pytestmark = pytest.mark.django_db
UPLOAD = reverse("leads:opportunity-import-upload")
CSV = (
    b"opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
    b"D1,Rita Rep,GTX Pro,Cancity,Won,2026-01-10,2026-02-01,1054\n"
    b'D2,Otto Seller,GTX Basic,Isdom,Engaging,2026-03-01,2030-06-30,"2,500"\n'
    b"D3,Nobody Here,GTX Basic,Isdom,Won,2026-03-01,2026-04-30,10\n"
)


def _upload(client, content=CSV, **fields):
    data = {
        "file": SimpleUploadedFile("deals.csv", content, "text/csv"),
        "on_duplicate": "skip",
        **fields,
    }
    return client.post(UPLOAD, data)


def _mapping_post(deal_import, **extra):
    by_column = {column: name for name, column in deal_import.mapping.items()}
    data = {f"col_{i}": by_column.get(c, "") for i, c in enumerate(deal_import.header)}
    return {**data, "stage_map": "", **extra}


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 403), ("rep", 403), ("manager", 200), ("outsider", 403)]
)
def test_deal_import_is_for_managers(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(UPLOAD).status_code == status


def test_anonymous_users_go_to_login(client):
    assert client.get(UPLOAD)["Location"].startswith(reverse("login"))


def test_the_whole_deal_import_in_the_browser(client, manager):
    RepFactory(username="rita", first_name="Rita", last_name="Rep")
    RepFactory(username="otto", first_name="Otto", last_name="Seller")
    client.force_login(manager)
    response = _upload(client)
    deal_import = LeadImport.objects.get()
    assert deal_import.kind == "opportunities"
    assert response["Location"] == reverse(
        "leads:opportunity-import-mapping", args=[deal_import.pk]
    )

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.context["form"]["col_0"].initial == "external_id"
    assert "Engaging" in html  # the unmapped stage is shown as the problem it is
    assert "map it to one (NAME = STAGE)" in html
    assert not Opportunity.objects.exists()

    # Preview again with the stage map: the row reads well now.
    post = _mapping_post(deal_import, stage_map="Engaging = demo", preview="1")
    page = client.post(response["Location"], post)
    assert page.context["preview"]["rows"][1]["errors"] == []

    done = client.post(response["Location"], {**post, "import": "1"})
    assert done["Location"] == reverse("leads:opportunity-import-status", args=[deal_import.pk])
    deal_import.refresh_from_db()
    assert (deal_import.status, deal_import.created_count, deal_import.error_count) == (
        "done",
        2,
        1,
    )
    assert Opportunity.objects.get(external_id="D2").stage == "demo"
    assert Opportunity.objects.get(external_id="D1").stage_changes.first().actor == manager
    status_page = client.get(done["Location"]).content.decode()
    assert "See the deals" in status_page
    assert "Sent to sales as MQLs" not in status_page
    report = client.get(reverse("leads:opportunity-import-errors", args=[deal_import.pk]))
    assert "Nobody Here" in report.content.decode()


def test_creating_reps_from_the_browser(client, manager):
    client.force_login(manager)
    _upload(client, create_users="on")
    deal_import = LeadImport.objects.get()
    url = reverse("leads:opportunity-import-mapping", args=[deal_import.pk])
    client.post(url, _mapping_post(deal_import, stage_map="Engaging = demo", **{"import": "1"}))
    assert Opportunity.objects.count() == 3
    assert set(Opportunity.objects.values_list("owner__username", flat=True)) == {
        "rita.rep",
        "otto.seller",
        "nobody.here",
    }


def test_a_mapping_without_the_needed_columns_is_refused(client, manager):
    client.force_login(manager)
    _upload(client)
    deal_import = LeadImport.objects.get()
    url = reverse("leads:opportunity-import-mapping", args=[deal_import.pk])
    post = _mapping_post(deal_import) | {"col_1": ""}  # no owner
    response = client.post(url, {**post, "import": "1"})
    assert response.status_code == 400
    assert "Choose the column for: Owner." in response.content.decode()
    response = client.post(url, _mapping_post(deal_import, stage_map="Engaging = nowhere"))
    assert "is not a stage" in response.content.decode()
    deal_import.refresh_from_db()
    assert deal_import.status == "uploaded"


def test_bad_files_are_refused_at_upload(client, manager):
    client.force_login(manager)
    response = _upload(client, content=b"opportunity_id,account\n")
    assert "no rows" in response.content.decode()
    assert not LeadImport.objects.exists()


def test_lead_and_deal_imports_do_not_cross(client, manager, marketer):
    client.force_login(manager)
    _upload(client)
    deal_import = LeadImport.objects.get()
    client.force_login(marketer)
    assert client.get(reverse("leads:import-mapping", args=[deal_import.pk])).status_code == 404
    assert client.get(reverse("leads:import-status", args=[deal_import.pk])).status_code == 404
