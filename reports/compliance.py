"""Live compliance with the service-level agreement, for one month: what marketing delivered
against its target and how fast sales answered each MQL. Every figure is one database query
(or a few), whatever the number of leads; the glossary and the formulas are defined here once,
for the SLA page and its CSV alike.

An MQL *pass* is one move of a lead to MQL (a re-sent lead makes a new pass). Each pass carries
the due time of its accept-or-reject window, worked out in the working hours of the SLA version
in force when it started, so a past month is judged by the terms that applied then.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    Q,
)
from django.utils import timezone

from campaigns.models import Channel
from leads.models import REASON_LABELS, Lead
from reports.metrics import (
    answer_steps,
    answers,
    decisions,
    first_contacts,
    merged_steps,
    mql_moves,
    percentiles_of_steps,
    ratio,
    timing,
    unanswered,
)
from reports.models import ServiceLevelAgreement

MQL = Lead.Stage.MQL
# Traffic lights: at or above GREEN is kept, at or above AMBER is at risk, below is missed.
GREEN, AMBER = Decimal("0.90"), Decimal("0.75")

GLOSSARY = [
    ("Lead", "A person marketing captured (form, import, by hand), not yet judged."),
    (
        "MQL",
        "Marketing-qualified lead: meets the SLA's MQL definition (minimum score and required "
        "fields), or was sent by a marketer with a written justification, and is handed to sales.",
    ),
    ("SAL", "Sales-accepted lead: a rep accepted the MQL and will work it."),
    ("SQL", "Sales-qualified lead: the rep confirmed budget, authority, need and timing."),
    ("Opportunity", "A deal opened from an SQL (or by sales directly), worked to won or lost."),
    ("Customer", "An account with at least one won deal."),
    (
        "Recycled",
        "Sent back to marketing's nurture: an MQL sales rejected, or an SAL or SQL not ready to "
        "buy. Marketing may send it again later; each sending is a new MQL pass.",
    ),
    ("Disqualified", "Taken out of the funnel for good (wrong fit, no contact, competitor…)."),
    (
        "Response time",
        "From a lead becoming an MQL to sales' first touch: the first call, e-mail or meeting "
        "a rep logs, or the accept or reject, whichever comes first. Shown in clock time.",
    ),
    (
        "Within SLA",
        "Accepted or rejected by the due time: the MQL's start plus the SLA's window, counted "
        "in working hours only.",
    ),
    (
        "Conversion rate",
        "Of the leads that reached one stage, the share that reached the next one, counted once "
        "per lead however often it went round.",
    ),
]


@dataclass
class Commitment:
    side: str  # "marketing" or "sales"
    label: str
    promise: str
    actual: str
    status: str  # "kept", "at risk", "missed" or "n/a"
    formula: str


@dataclass
class RepRow:
    rep_id: int | None
    name: str
    passes: int
    in_time: int
    late: int
    waiting: int

    @property
    def share(self) -> Decimal | None:
        return ratio(self.in_time, self.in_time + self.late)


@dataclass
class Compliance:
    sla: ServiceLevelAgreement | None
    start: dt.datetime
    end: dt.datetime
    is_current: bool
    delivered: int = 0
    target: int = 0
    expected_by_now: Decimal = Decimal("0")
    by_channel: list = field(default_factory=list)  # ChannelRow
    accepted: int = 0
    rejected: int = 0
    rejection_reasons: list[tuple[str, int]] = field(default_factory=list)
    passes: int = 0
    in_time: int = 0
    late: int = 0
    waiting: int = 0
    median_response: dt.timedelta | None = None
    p90_response: dt.timedelta | None = None
    overdue_now: int = 0
    contact: dict = field(default_factory=dict)
    decide: dict = field(default_factory=dict)
    reps: list[RepRow] = field(default_factory=list)
    commitments: list[Commitment] = field(default_factory=list)

    @property
    def acceptance_rate(self) -> Decimal | None:
        return ratio(self.accepted, self.accepted + self.rejected)

    @property
    def in_time_share(self) -> Decimal | None:
        return ratio(self.in_time, self.in_time + self.late)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_bounds(first: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month starting on `first`, as [start, end) in the site's time zone."""
    tz = timezone.get_current_timezone()
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=tz),
        dt.datetime.combine(following, dt.time.min, tzinfo=tz),
    )


def light(share: Decimal | None) -> str:
    if share is None:
        return "n/a"
    if share >= GREEN:
        return "kept"
    return "at risk" if share >= AMBER else "missed"


def sla_compliance(first: dt.date, now: dt.datetime | None = None) -> Compliance:
    """Both teams' compliance for the month starting on `first`, as of `now`."""
    now = now or timezone.now()
    start, end = month_bounds(first)
    is_current = start <= now < end
    sla = ServiceLevelAgreement.objects.in_force_at(min(end - dt.timedelta(microseconds=1), now))
    report = Compliance(sla=sla, start=start, end=end, is_current=is_current)
    if start > now:
        return report

    answered = answers(start, end)
    steps_of = answer_steps(answered, "actor_id")
    report.reps = _rep_rows(answered, unanswered(start, end), now, steps_of)
    report.passes = sum(row.passes for row in report.reps)
    report.in_time = sum(row.in_time for row in report.reps)
    report.late = sum(row.late for row in report.reps)
    report.waiting = report.passes - report.in_time - report.late
    median, p90 = percentiles_of_steps({None: merged_steps(steps_of)}, (50, 90))
    report.median_response, report.p90_response = (
        None if found.get(None) is None else dt.timedelta(seconds=found[None])
        for found in (median, p90)
    )

    delivered = dict(
        mql_moves(start, end)
        .values_list("channel")  # the channel each move carries: no read of the leads
        .annotate(n=Count("lead", distinct=True))
    )
    report.by_channel = _channel_rows(sla, delivered, start, end, now)
    # Marketing's side of the answers: how the month's MQLs were received.
    received = answered.aggregate(
        accepted=Count("pk", filter=Q(to_stage=Lead.Stage.SAL)),
        rejected=Count("pk", filter=Q(to_stage=Lead.Stage.RECYCLED)),
    )
    report.accepted, report.rejected = received["accepted"], received["rejected"]
    report.rejection_reasons = [
        (REASON_LABELS.get(reason, reason or "—"), n)
        for reason, n in answered.filter(to_stage=Lead.Stage.RECYCLED)
        .values_list("reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason")
    ]
    report.contact = first_contacts(start, end, now)
    report.decide = decisions(start, end, now)
    if is_current:
        report.overdue_now = Lead.objects.filter(stage=MQL, response_due_at__lt=now).count()
    # Once per lead, even one re-attributed between two sends in the month (it counts under
    # each channel it was sent from).
    report.delivered = (
        mql_moves(start, end).aggregate(n=Count("lead", distinct=True))["n"] if delivered else 0
    )
    report.target = sla.mql_target_per_month if sla else 0
    report.expected_by_now = _expected(report.target, start, end, now)
    report.commitments = _commitments(report)
    return report


@dataclass(frozen=True)
class ChannelRow:
    label: str
    delivered: int
    target: int | None = None  # the SLA's part of the target for the channel, if any
    expected: Decimal | None = None  # of which due by now (pro rata in the current month)
    status: str = ""


def _channel_rows(sla, delivered: dict, start, end, now) -> list[ChannelRow]:
    """MQLs delivered per channel, with the channel's target and pacing where the SLA gives
    one; targeted channels that delivered nothing are listed too."""
    labels = dict(Channel.choices)
    targets = (sla.mql_targets_by_channel or {}) if sla else {}
    rows = []
    for channel in {*delivered, *targets}:
        n, target = delivered.get(channel, 0), targets.get(channel)
        expected = _expected(target, start, end, now) if target else None
        rows.append(
            ChannelRow(
                label=labels.get(channel, channel or "—"),
                delivered=n,
                target=target,
                expected=expected,
                status=light(ratio(n, expected)) if expected else "",
            )
        )
    rows.sort(key=lambda row: (-row.delivered, row.label))
    return rows


def _rep_rows(answered, waiting, now, steps_of) -> list[RepRow]:
    """Per answerable rep — who answered, or for a pass still waiting its lead's owner —
    passes, in time, late and still open."""
    from django.contrib.auth import get_user_model

    by_rep = timing(answered, waiting, now, "actor_id", "owner_id", steps_of=steps_of)
    names = {
        u.pk: (u.get_full_name() or u.username)
        for u in get_user_model().objects.filter(pk__in=[pk for pk in by_rep if pk])
    }
    rows = [
        RepRow(
            rep_id=pk,
            name=names.get(pk, "Unassigned queue"),
            passes=figures["passes"],
            in_time=figures["in_time"],
            late=figures["late"],
            waiting=figures["waiting"],
        )
        for pk, figures in by_rep.items()
    ]
    rows.sort(key=lambda row: (row.rep_id is None, row.name))
    return rows


def _expected(target: int, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Decimal:
    """Pacing: the share of the month's target due by `now`, in whole days elapsed."""
    if now >= end:
        return Decimal(target)
    days = (end - start).days
    elapsed = (timezone.localdate(now) - start.date()).days + 1
    return (Decimal(target) * elapsed / days).quantize(Decimal("0.1"))


def _commitments(report: Compliance) -> list[Commitment]:
    sla = report.sla
    if sla is None:
        return []
    pace = ratio(report.delivered, report.expected_by_now) if report.expected_by_now else None
    return [
        Commitment(
            side="marketing",
            label="MQLs delivered",
            promise=f"{sla.mql_target_per_month} MQLs this month",
            actual=(
                f"{report.delivered} delivered"
                + (f", {report.expected_by_now} due by today" if report.is_current else "")
            ),
            status=light(pace),
            formula="Leads that became an MQL in the month (once each) ÷ the target, pro rata "
            "for the days gone in the current month",
        ),
        *_channel_commitment(report),
        Commitment(
            side="sales",
            label="Accept or reject in time",
            promise=f"within {sla.accept_within_hours} working hours",
            actual=(
                "no window has closed yet"
                if report.in_time_share is None
                else f"{report.in_time} of {report.in_time + report.late} in time"
            ),
            status=light(report.in_time_share),
            formula="MQL passes decided by their due time ÷ passes whose window has closed "
            "(decided, or past due and still waiting)",
        ),
        Commitment(
            side="sales",
            label="First contact in time",
            promise=f"within {sla.first_contact_within_hours} working hours",
            actual=_tally(report.contact),
            status=light(report.contact.get("share")),
            formula="MQL passes not rejected with a call, e-mail or meeting logged by the due "
            "time ÷ those whose window has closed",
        ),
        Commitment(
            side="sales",
            label="Qualify or recycle in time",
            promise=f"within {sla.qualify_within_days} working days of accepting",
            actual=_tally(report.decide),
            status=light(report.decide.get("share")),
            formula="Accepted leads qualified, recycled or disqualified by the due time ÷ those "
            "whose window has closed",
        ),
    ]


def _channel_commitment(report: Compliance) -> list[Commitment]:
    """One commitment for the channels' targets, as kept as the furthest-behind channel."""
    targeted = [row for row in report.by_channel if row.target]
    if not targeted:
        return []
    paces = [ratio(row.delivered, row.expected) for row in targeted if row.expected]
    on_pace = sum(1 for pace in paces if pace is not None and pace >= GREEN)
    return [
        Commitment(
            side="marketing",
            label="MQLs per channel",
            promise=", ".join(f"{row.label} {row.target}" for row in targeted),
            actual=f"{on_pace} of {len(targeted)} channels on pace",
            status=light(min(paces)) if paces else "n/a",
            formula="Per channel with a target: its MQLs (once each) ÷ its target, pro rata for "
            "the days gone in the current month; the light is the furthest-behind channel's",
        )
    ]


def _tally(counts: dict) -> str:
    if not counts or counts.get("share") is None:
        return "no window has closed yet"
    return f"{counts['in_time']} of {counts['in_time'] + counts['late']} in time"
