import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from leads import imports
from leads.models import Lead, LeadImport
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db
UPLOAD = reverse("leads:import-upload")
DATA = Path(__file__).parent / "data"


def _upload(client, name="messy_semicolon_bom.csv", content=None, **fields):
    content = (DATA / name).read_bytes() if content is None else content
    data = {
        "file": SimpleUploadedFile(name, content, "text/csv"),
        "on_duplicate": "update",
        "dayfirst": "on",
        **fields,
    }
    return client.post(UPLOAD, data)


def _mapping_post(lead_import, **extra):
    data = {f"col_{i}": "" for i in range(len(lead_import.header))}
    by_column = {column: name for name, column in lead_import.mapping.items()}
    for i, column in enumerate(lead_import.header):
        data[f"col_{i}"] = by_column.get(column, "")
    return {**data, "channel_map": "", **extra}


@pytest.mark.parametrize(("who", "status"), [("marketer", 200), ("manager", 200), ("rep", 403)])
def test_import_pages_are_for_marketing(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(UPLOAD).status_code == status


def test_the_whole_import_in_the_browser(client, marketer):
    campaign = CampaignFactory(channel="event")
    client.force_login(marketer)
    response = _upload(client, campaign=campaign.pk)
    lead_import = LeadImport.objects.get()
    assert response["Location"] == reverse("leads:import-mapping", args=[lead_import.pk])
    assert (lead_import.total_rows, lead_import.status) == (6, "uploaded")

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.context["form"]["col_0"].initial == "first_name"  # guessed from "First Name"
    assert "Ada" in html
    assert "Left out:" in html
    assert not Lead.objects.exists()  # nothing written before the import

    mapping = _mapping_post(lead_import, channel_map="LinkedIn Ads = paid_social")
    preview = client.post(response["Location"], mapping)
    assert "paid_social" in preview.content.decode()
    done = client.post(response["Location"], {**mapping, "import": "1"}, follow=True)
    lead_import.refresh_from_db()
    assert lead_import.status == "done"
    assert (lead_import.created_count, lead_import.updated_count, lead_import.error_count) == (
        3,
        1,
        2,
    )
    assert "rows with errors" in done.content.decode().lower()
    assert Lead.objects.filter(campaign=campaign).count() == 3
    assert Lead.objects.get(first_name="Ada").channel == "paid_social"

    report = client.get(reverse("leads:import-errors", args=[lead_import.pk]))
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    assert b"4,E-mail Address,not-an-email" in report.content
    # Mapping again is no longer possible: the import has run.
    assert client.get(reverse("leads:import-mapping", args=[lead_import.pk])).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "submitted file is empty"),
        ("blank.csv", b"   \n\n", "empty"),
        ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00binary", "binary"),
        ("leads.xlsx", b"email\na@b.example\n", "Upload a .csv file"),
        ("header_only.csv", b"email,first name\n", "no rows"),
        ("latin1.csv", "email,name\nzoë@x.example,Zoë\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(client, marketer, name, content, message):
    client.force_login(marketer)
    response = _upload(client, name=name, content=content)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert not LeadImport.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"col_2": ""}, "E-mail or External id"),  # the e-mail column ignored
        ({"col_1": "first_name"}, "chosen for two columns"),
        ({"channel_map": "LinkedIn Ads = billboard"}, "not a channel"),
        ({"channel_map": "no equals sign"}, "SOURCE = CHANNEL"),
    ],
)
def test_mapping_mistakes_are_explained(client, marketer, changes, message):
    client.force_login(marketer)
    _upload(client)
    lead_import = LeadImport.objects.get()
    url = reverse("leads:import-mapping", args=[lead_import.pk])
    response = client.post(url, {**_mapping_post(lead_import), **changes, "import": "1"})
    assert response.status_code == 400
    assert message in response.content.decode()
    lead_import.refresh_from_db()
    assert lead_import.status == "uploaded"
    assert not Lead.objects.exists()


def test_the_status_page_refreshes_itself_until_done(client, marketer):
    client.force_login(marketer)
    _upload(client)
    lead_import = LeadImport.objects.get()
    LeadImport.objects.filter(pk=lead_import.pk).update(status="running", processed_rows=3)
    page = client.get(reverse("leads:import-status", args=[lead_import.pk])).content.decode()
    assert 'http-equiv="refresh"' in page
    assert "50 %" in page


def test_run_imports_takes_queued_and_stalled_imports_once(marketer):
    text = (DATA / "external_ids.csv").read_text()
    queued = LeadImport.objects.create(
        created_by=marketer,
        filename="a.csv",
        content=text,
        header=["Lead ID", "First Name"],
        mapping={"external_id": "Lead ID", "first_name": "First Name"},
        status="queued",
        total_rows=3,
    )
    stalled = LeadImport.objects.create(
        created_by=marketer,
        filename="b.csv",
        content=text,
        header=["Lead ID", "First Name"],
        mapping={"external_id": "Lead ID", "first_name": "First Name"},
        status="running",
        heartbeat_at=timezone.now() - dt.timedelta(hours=1),
        total_rows=3,
    )
    busy = LeadImport.objects.create(
        created_by=marketer,
        filename="c.csv",
        content=text,
        header=[],
        mapping={},
        status="running",
        heartbeat_at=timezone.now(),
        total_rows=3,
    )
    out = StringIO()
    call_command("run_imports", stdout=out)
    assert "2 imports run." in out.getvalue()
    for item in (queued, stalled, busy):
        item.refresh_from_db()
    assert (queued.status, stalled.status, busy.status) == ("done", "done", "running")
    assert imports.import_process(queued.pk) is False  # finished: nobody runs it twice
    assert Lead.objects.count() == 2


def test_an_import_that_breaks_is_marked_failed_with_a_message(marketer):
    broken = LeadImport.objects.create(
        created_by=marketer,
        filename="x.csv",
        content="email\na@b.example\n",
        header=["email"],
        mapping={"email": "email"},
        status="queued",
        total_rows=1,
    )
    imports.import_process(broken.pk)
    broken.refresh_from_db()
    assert broken.status == "failed"
    assert "First name" in broken.message
