"""Browser imports: an uploaded file is kept in the database, mapped, then imported in the
background while its status page shows the progress. `manage.py run_imports` (cron) finishes
any import whose worker stopped, so no upload is ever stuck."""

import datetime as dt
import logging
import threading

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from leads import deal_importer, importer
from leads.models import LeadImport

log = logging.getLogger(__name__)
Status = LeadImport.Status
# A running import writes a heartbeat after every batch; one silent this long has died.
STALE_AFTER = dt.timedelta(minutes=5)


def fields_for(kind: str) -> dict:
    """What a column can be mapped to, for leads or for deals."""
    return deal_importer.FIELDS if kind == LeadImport.Kind.OPPORTUNITIES else importer.FIELDS


def import_create(
    *,
    by,
    raw: bytes,
    filename: str,
    kind: str = LeadImport.Kind.LEADS,
    dayfirst: bool,
    on_duplicate: str,
    campaign=None,
    create_users: bool = False,
):
    """Check the uploaded bytes and keep them; raises importer.FileProblem with the reason."""
    text = importer.decode(raw)
    header, _ = importer.read(text)
    rows = importer.count_rows(text)
    if not rows:
        raise importer.FileProblem("The file has a header but no rows.")
    return LeadImport.objects.create(
        kind=kind,
        created_by=by,
        filename=filename[:255],
        content=text,
        header=header,
        mapping=importer.guess_mapping(header, fields_for(kind)),
        campaign=campaign,
        dayfirst=dayfirst,
        on_duplicate=on_duplicate,
        create_users=create_users,
        total_rows=rows,
    )


def import_queue(
    *, lead_import: LeadImport, mapping: dict, channel_map=None, stage_map=None
) -> None:
    updated = LeadImport.objects.filter(pk=lead_import.pk, status=Status.UPLOADED).update(
        mapping=mapping,
        channel_map=channel_map or {},
        stage_map=stage_map or {},
        status=Status.QUEUED,
        updated_at=timezone.now(),
    )
    if updated and getattr(settings, "HANDOFF_IMPORTS_INLINE", False):
        import_process(lead_import.pk)
    elif updated:
        # Start now rather than wait for cron; the claim below keeps it to one runner.
        threading.Thread(target=_process_in_thread, args=(lead_import.pk,), daemon=True).start()


def _process_in_thread(pk: int) -> None:
    # A thread gets its own database connection; close it when done, or it lingers.
    try:
        import_process(pk)
    finally:
        connection.close()


def _claim(pk: int) -> bool:
    """Take the import if it is queued, or running with a stale heartbeat. One winner."""
    now = timezone.now()
    claimable = Q(status=Status.QUEUED) | Q(
        status=Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    )
    return bool(
        LeadImport.objects.filter(claimable, pk=pk).update(
            status=Status.RUNNING, heartbeat_at=now, processed_rows=0, updated_at=now
        )
    )


def import_process(pk: int) -> bool:
    """Run one import if nobody else is; True when this call ran it."""
    if not _claim(pk):
        return False
    lead_import = LeadImport.objects.select_related("campaign", "created_by").get(pk=pk)

    def progress(rows: int, result: importer.Result) -> None:
        LeadImport.objects.filter(pk=pk).update(
            processed_rows=rows,
            created_count=result.created,
            updated_count=result.updated,
            skipped_count=result.skipped,
            error_count=result.error_rows,
            heartbeat_at=timezone.now(),
        )

    try:
        result = _run(lead_import, progress)
    except importer.FileProblem as e:
        _finish(pk, Status.FAILED, message=str(e))
    except Exception:
        log.exception("Import %s failed", pk)
        _finish(
            pk, Status.FAILED, message="The import stopped on an unexpected error; it was logged."
        )
    else:
        _finish(
            pk,
            Status.DONE,
            processed_rows=result.rows,
            created_count=result.created,
            updated_count=result.updated,
            skipped_count=result.skipped,
            error_count=result.error_rows,
            promoted_count=result.promoted,
            error_report=result.error_csv() if result.errors else "",
        )
    return True


def options_for(lead_import: LeadImport, **overrides):
    """The importer options an import was set up with."""
    if lead_import.kind == LeadImport.Kind.OPPORTUNITIES:
        values = {
            "mapping": lead_import.mapping,
            "stage_map": lead_import.stage_map,
            "create_users": lead_import.create_users,
            "dayfirst": lead_import.dayfirst,
            "on_duplicate": lead_import.on_duplicate,
            "by": lead_import.created_by,
        }
        return deal_importer.Options(**(values | overrides))
    values = {
        "mapping": lead_import.mapping,
        "campaign": lead_import.campaign,
        "channel_map": lead_import.channel_map,
        "dayfirst": lead_import.dayfirst,
        "on_duplicate": lead_import.on_duplicate,
    }
    return importer.Options(**(values | overrides))


def _run(lead_import: LeadImport, progress) -> importer.Result:
    engine = deal_importer if lead_import.kind == LeadImport.Kind.OPPORTUNITIES else importer
    return engine.run(lead_import.content, options_for(lead_import), progress=progress)


def _finish(pk: int, status: str, **fields) -> None:
    now = timezone.now()
    with transaction.atomic():
        LeadImport.objects.filter(pk=pk).update(
            status=status, finished_at=now, heartbeat_at=now, updated_at=now, **fields
        )


def pending_imports() -> list[int]:
    cutoff = timezone.now() - STALE_AFTER
    return list(
        LeadImport.objects.filter(
            Q(status=Status.QUEUED) | Q(status=Status.RUNNING, heartbeat_at__lt=cutoff)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
