"""Round-robin assignment of new MQLs to the active sales reps, and the e-mail that follows."""

from collections import Counter, defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction

from crm.links import record_url
from crm.roles import Role
from leads.models import AssignmentCursor, Lead


def active_reps():
    return (
        get_user_model()
        .objects.filter(groups__name=Role.SALES, is_active=True)
        .order_by("pk")
        .distinct()
    )


def next_reps(count: int) -> list:
    """The next `count` reps in turn (an empty list when there is no active rep). Must run
    inside the transaction that assigns them: it holds the cursor's row lock until commit."""
    if count <= 0:
        return []
    reps = list(active_reps())
    if not reps:
        return []
    cursor, _ = AssignmentCursor.objects.get_or_create(pk=1)
    cursor = AssignmentCursor.objects.select_for_update().get(pk=cursor.pk)
    after = cursor.last_rep_id or 0
    # Start with the first rep whose id comes after the last one served (skips reps who left).
    start = next((i for i, rep in enumerate(reps) if rep.pk > after), 0)
    chosen = [reps[(start + i) % len(reps)] for i in range(count)]
    cursor.last_rep = chosen[-1]
    cursor.save(update_fields=["last_rep", "updated_at"])
    return chosen


class Digest:
    """The MQLs assigned to each rep, gathered (from one promotion, or from every batch of an
    import) and mailed as one e-mail per rep: the count, and the first fifty by due time."""

    SHOWN = 50

    def __init__(self):
        self.shown = defaultdict(list)
        self.counts = Counter()

    def add(self, rows) -> None:
        """`rows`: (pk, owner id, first name, last name, company, response due), due first."""
        for row in rows:
            self.counts[row[1]] += 1
            if len(shown := self.shown[row[1]]) < self.SHOWN:
                shown.append(row)

    def send(self) -> None:
        reps = get_user_model().objects.in_bulk(list(self.counts))
        for rep_id, count in self.counts.items():
            rep = reps.get(rep_id)
            if rep is None or not rep.email:
                continue
            lines = [
                f"- {Lead.name_of(first, last)} ({company or 'no company'}), due {_when(due)}: "
                f"{lead_link(pk)}"
                for pk, _, first, last, company, due in self.shown[rep_id]
            ]
            if count > self.SHOWN:
                lines.append(f"… and {count - self.SHOWN} more in your inbox.")
            send_mail(
                subject=f"{count} new MQL{'s' if count != 1 else ''} for you to accept or reject",
                message="Accept or reject each one before it is due:\n\n" + "\n".join(lines),
                from_email=None,
                recipient_list=[rep.email],
                fail_silently=True,
            )


DIGEST_FIELDS = ("pk", "owner_id", "first_name", "last_name", "company", "response_due_at")


def notify_assigned(lead_ids: list[int]) -> None:
    """One e-mail per rep listing the MQLs just assigned to them. Call through on_commit.
    The leads are read as values (a bulk promotion assigns thousands at a time)."""
    digest = Digest()
    digest.add(
        Lead.objects.filter(pk__in=lead_ids, owner__isnull=False)
        .order_by("response_due_at", "pk")
        .values_list(*DIGEST_FIELDS)
    )
    digest.send()


def lead_link(pk: int) -> str:
    """The lead page's full address, for an e-mail."""
    base = getattr(settings, "HANDOFF_BASE_URL", "").rstrip("/")
    return f"{base}{record_url('leads:lead-detail', pk)}"


def _when(moment) -> str:
    return f"{moment:%a %d %b %H:%M} UTC" if moment else "now"


def after_commit_notify(lead_ids: list[int]) -> None:
    if lead_ids:
        transaction.on_commit(lambda: notify_assigned(list(lead_ids)))
