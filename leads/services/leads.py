"""Every stage change of a lead. Each service locks the row, checks the rules, writes the change
with its timestamps and leaves a trace row, all in one transaction."""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm.db import hold_lock
from crm.errors import TransitionError
from crm.roles import is_manager, is_rep
from leads import assignment, scoring
from leads.models import (
    Account,
    Activity,
    DisqualifyReason,
    FormSubmission,
    Lead,
    LeadTransition,
    MqlReason,
    Opportunity,
    RejectReason,
    StageProbability,
)
from leads.services.deals import default_type, parse_money
from reports import workhours
from reports.models import ServiceLevelAgreement

Stage = Lead.Stage

MQL_DECIDERS = "its owner (any sales rep while it is unassigned) or a manager"


def _locked(lead: Lead) -> Lead:
    return Lead.objects.select_for_update().get(pk=lead.pk)


def _check(lead: Lead, *, doing: str, from_stages: set[str], allowed: bool, who: str) -> None:
    """Refuse with a message that says which rule stopped it: the stage, or the person."""
    if lead.stage not in from_stages:
        raise TransitionError(f"{lead} is {lead.get_stage_display()} and cannot be {doing}.")
    if not allowed:
        raise TransitionError(f"Only {who} can do that to {lead}.")


def _clean_reason(reason: str, detail: str, choices, doing: str) -> str:
    if reason not in choices.values:
        raise TransitionError(f"Choose a reason for {doing}.")
    detail = (detail or "").strip()
    if reason == choices.OTHER and not detail:
        raise TransitionError("Say why in the detail when the reason is “Other”.")
    return detail


def _save(lead: Lead, *fields: str) -> None:
    lead.save(update_fields=["stage", "stage_changed_at", "stage_reason", "updated_at", *fields])


# --- Marketing hands a lead to sales ----------------------------------------------------------


def _send_to_sales(lead: Lead, *, by, justification: str) -> Lead:
    if by is not None and not lead.is_marketing_actor(by):
        raise TransitionError("Only marketing or a manager can send a lead to sales.")
    now = timezone.now()
    sla = ServiceLevelAgreement.objects.in_force_at(now)
    if sla is None:
        raise TransitionError(
            "No service-level agreement is in force, so there is no MQL definition to check."
        )
    check = sla.check_lead(lead)
    qualification = {**check.as_trace(), "rules": scoring.trace(lead, scoring.active_rules())}
    justification = (justification or "").strip()
    if by is None:
        if not check.met:
            raise TransitionError(f"{lead} does not meet the MQL definition: {check.problems}.")
        reason = MqlReason.SCORE
    elif check.met:
        reason = MqlReason.MANUAL
    elif justification:
        reason = MqlReason.OVERRIDE
    else:
        raise TransitionError(
            f"{lead} does not meet the MQL definition ({check.problems}): "
            "write a justification to send it to sales anyway."
        )
    due = workhours.due_at(sla, now, sla.accept_within_hours)
    lead.move_to(
        Stage.MQL,
        by=by,
        at=now,
        reason=reason,
        detail=justification,
        sla=sla,
        qualification=qualification,
        due_at=due,
        contact_due_at=workhours.contact_due_at(sla, now),
    )
    # A new pass through the funnel: the response clock starts again.
    lead.mql_at = now
    lead.response_due_at = due
    lead.accepted_at = lead.first_response_at = lead.qualified_at = None
    if lead.owner_id is None and sla.assignment == ServiceLevelAgreement.Assignment.ROUND_ROBIN:
        lead.owner = next(iter(assignment.next_reps(1)), None)
    _save(
        lead,
        "mql_at",
        "response_due_at",
        "accepted_at",
        "first_response_at",
        "qualified_at",
        "owner",
    )
    if lead.owner_id:
        assignment.after_commit_notify([lead.pk])
    return lead


@transaction.atomic
def lead_mark_mql(*, lead: Lead, by=None, justification: str = "") -> Lead:
    """A new lead becomes an MQL: automatically (`by=None`, the definition must be met) or by a
    marketer (a lead short of the definition needs a written justification)."""
    lead = _locked(lead)
    if lead.stage != Stage.NEW:
        hint = " Re-send it from nurture instead." if lead.stage == Stage.RECYCLED else ""
        raise TransitionError(
            f"{lead} is {lead.get_stage_display()} and cannot be sent to sales.{hint}"
        )
    return _send_to_sales(lead, by=by, justification=justification)


@transaction.atomic
def lead_resend(*, lead: Lead, by, justification: str = "") -> Lead:
    """Marketing sends a recycled lead back to sales once it is ready again."""
    if by is None:
        raise TransitionError("A marketer or a manager re-sends a recycled lead.")
    lead = _locked(lead)
    if lead.stage != Stage.RECYCLED:
        raise TransitionError(
            f"{lead} is {lead.get_stage_display()}; only recycled leads can be re-sent."
        )
    return _send_to_sales(lead, by=by, justification=justification)


# --- Scoring and automatic promotion ----------------------------------------------------------


def lead_rescore(*, lead: Lead, rules=None) -> Lead:
    """Recompute one lead's score from the active rules and, if it is new and now meets the
    MQL definition, promote it. Call inside the caller's transaction."""
    rules = scoring.active_rules() if rules is None else rules
    new_score = scoring.score(lead, rules)
    if new_score != lead.score:
        lead.score = new_score
        Lead.objects.filter(pk=lead.pk).update(score=new_score, updated_at=timezone.now())
    if lead.stage == Stage.NEW:
        leads_promote_qualified(lead_ids=[lead.pk], rules=rules)
        lead.refresh_from_db()
    return lead


PROMOTION_CHUNK = 2000


def _qualifying(sla, lead_ids) -> list[int]:
    """The new leads (all, or those of `lead_ids`) that meet the SLA's MQL definition, by id.
    Given ids are read by id and checked with `sla.check_lead()`: asked in one query with the
    definition, SQLite walked every new lead instead (130 ms per import batch at a million
    leads)."""
    if lead_ids is None:
        candidates = Lead.objects.filter(stage=Stage.NEW, score__gte=sla.mql_min_score)
        for name in sla.mql_required_fields:
            candidates = candidates.exclude(**{name: ""})
        return list(candidates.order_by("pk").values_list("pk", flat=True))
    ids, wanted = [], sorted(set(lead_ids))
    for start in range(0, len(wanted), PROMOTION_CHUNK):
        rows = Lead.objects.filter(pk__in=wanted[start : start + PROMOTION_CHUNK]).values_list(
            "pk", "stage", "score", *sla.mql_required_fields, named=True
        )
        ids += [row.pk for row in rows if row.stage == Stage.NEW and sla.check_lead(row).met]
    return sorted(ids)


class Promotion:
    """What making new leads MQLs means at `now` under the SLA in force: the check, the
    stage fields, the owner (in turn, when the SLA assigns round robin) and the trace row.
    Both the promotion below and the importer (which inserts qualifying leads as MQLs
    straight away) use it, so a lead becomes an MQL the same way whichever path it takes."""

    def __init__(self, sla: ServiceLevelAgreement, rules, now: dt.datetime):
        self.sla, self.rules, self.now = sla, rules, now
        self.trace = scoring.tracer(rules)
        self.due = workhours.due_at(sla, now, sla.accept_within_hours)
        self.contact_due = workhours.contact_due_at(sla, now)
        self.round_robin = sla.assignment == ServiceLevelAgreement.Assignment.ROUND_ROBIN
        self.fields = {
            "stage": Stage.MQL,
            "reached_mql": True,
            "stage_changed_at": now,
            "stage_reason": MqlReason.SCORE,
            "mql_at": now,
            "response_due_at": self.due,
            "updated_at": now,
        }

    @classmethod
    def in_force(cls, rules=None) -> "Promotion | None":
        now = timezone.now()
        sla = ServiceLevelAgreement.objects.in_force_at(now)
        if sla is None:
            return None
        return cls(sla, scoring.active_rules() if rules is None else rules, now)

    def owners(self, leads) -> dict[int, int]:
        """Lead pk → the rep it goes to, for the unowned `leads` (none unless round robin).
        Call inside the transaction that writes them (the turn's row stays locked)."""
        if not self.round_robin:
            return {}
        unowned = [lead for lead in leads if lead.owner_id is None]
        reps = assignment.next_reps(len(unowned))
        return {lead.pk: rep.pk for lead, rep in zip(unowned, reps, strict=False)}

    def transition(self, lead, make=LeadTransition):
        """The trace of `lead`'s promotion: a LeadTransition, or with `make=Row` a row for
        `bulk_insert` (an import's lead is a Row too)."""
        return make(
            lead=lead,
            from_stage=Stage.NEW,
            to_stage=Stage.MQL,
            actor=None,
            at=self.now,
            reason=MqlReason.SCORE,
            sla=self.sla,
            qualification={
                **self.sla.check_lead(lead).as_trace(),
                "rules": self.trace(lead),
            },
            due_at=self.due,
            contact_due_at=self.contact_due,
        )


@transaction.atomic
def leads_promote_qualified(*, lead_ids=None, rules=None) -> int:
    """Every new lead that meets the MQL definition in force becomes an MQL, recorded as the
    system's doing with the rules that matched. Runs in chunks, never one save per lead."""
    promotion = Promotion.in_force(rules)
    if promotion is None:
        return 0
    ids = _qualifying(promotion.sla, lead_ids)
    assigned = []
    for start in range(0, len(ids), PROMOTION_CHUNK):
        chunk = ids[start : start + PROMOTION_CHUNK]
        # Lock, then re-check the stage: a person may have moved one of them meanwhile. (By id
        # alone in SQL: with the stage in the query, SQLite walked the index of every new lead.)
        leads = [
            lead
            for lead in Lead.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
            if lead.stage == Stage.NEW
        ]
        LeadTransition.objects.bulk_create([promotion.transition(lead) for lead in leads])
        new_owner = promotion.owners(leads)
        # One UPDATE per rep taking leads (and one for the rest), the owner set with the stage:
        # a second pass for the owners rewrote the same rows' indexes again.
        groups = defaultdict(list)
        for lead in leads:
            groups[new_owner.get(lead.pk)].append(lead.pk)
        for owner_id, pks in groups.items():
            Lead.objects.filter(pk__in=pks).update(
                **promotion.fields,
                **({"owner_id": owner_id} if owner_id is not None else {}),
            )
        assigned += [lead.pk for lead in leads if lead.owner_id or lead.pk in new_owner]
    assignment.after_commit_notify(assigned)
    return len(ids)


@transaction.atomic
def leads_rescore_all() -> int:
    """After a rule changes: one UPDATE recomputes every lead's score in the database, then
    the new leads that now qualify are promoted. Returns how many were promoted."""
    rules = scoring.active_rules()
    Lead.objects.update(score=scoring.score_expression(rules), updated_at=timezone.now())
    return leads_promote_qualified(rules=rules)


# --- Public landing-page capture --------------------------------------------------------------

# Held by each writer that creates leads for addresses it looked up first (a form submission,
# an import batch) from the lookup to its commit (see crm.db.hold_lock).
NEW_LEADS_LOCK = "leads:new-addresses"
# Lead fields a form submission may fill in; an existing lead keeps what it already has.
CAPTURE_FIELDS = ["first_name", "last_name", "company", "job_title", "phone", "company_size"]


@transaction.atomic
def lead_capture(*, campaign, email: str, answers: dict, tracking: dict) -> Lead:
    """A public form submission: a new lead, or a new touch on the lead with that e-mail.
    Either way the submission is recorded and the lead rescored (and promoted if it qualifies).
    """
    email = email.strip()
    lead = Lead.objects.select_for_update().with_email(email).first()
    if lead is None:
        # A new address: look again under the lock every lead-creating writer takes, so two
        # submissions (or a submission and an import) never both create it.
        hold_lock(NEW_LEADS_LOCK)
        lead = Lead.objects.select_for_update().with_email(email).first()
    if lead is None:
        lead = Lead.objects.create(
            email=email,
            campaign=campaign,
            channel=campaign.channel,
            **{name: answers.get(name, "") for name in CAPTURE_FIELDS},
        )
    else:
        changed = [name for name in CAPTURE_FIELDS if answers.get(name) and not getattr(lead, name)]
        for name in changed:
            setattr(lead, name, answers[name])
        if changed:
            lead.save(update_fields=[*changed, "updated_at"])
    FormSubmission.objects.create(
        lead=lead,
        campaign=campaign,
        answers=answers,
        message=answers.get("message", ""),
        consent=bool(answers.get("consent")),
        **tracking,
    )
    Lead.objects.filter(pk=lead.pk).update(submission_count=F("submission_count") + 1)
    lead.refresh_from_db()
    return lead_rescore(lead=lead)


def lead_send_to_sales(*, lead: Lead, by, justification: str = "") -> Lead:
    """Marketing's one button: a new lead is marked MQL, a recycled one is re-sent."""
    if lead.stage == Stage.RECYCLED:
        return lead_resend(lead=lead, by=by, justification=justification)
    return lead_mark_mql(lead=lead, by=by, justification=justification)


# --- Notes and activities --------------------------------------------------------------------


@transaction.atomic
def activity_log(*, by, kind: str, body: str, outcome: str = "", lead=None, opportunity=None):
    """Log a note, call, e-mail or meeting. The first sales touch on an MQL (a call, e-mail or
    meeting by its rep or a manager) stops the response clock."""
    body = (body or "").strip()
    if not body:
        raise TransitionError("Write what happened.")
    if kind not in Activity.Kind.values:
        raise TransitionError("Choose the kind of activity.")
    if outcome and outcome not in Activity.Outcome.values:
        raise TransitionError("Choose an outcome from the list.")
    now = timezone.now()
    if lead is not None:
        lead = _locked(lead)
        if not (lead.is_marketing_actor(by) or lead.is_sales_actor(by)):
            raise TransitionError(f"You cannot log activities on {lead}.")
    elif opportunity is None or not opportunity.is_sales_actor(by):
        raise TransitionError("Only the deal's owner or a manager can log activities on it.")
    activity = Activity.objects.create(
        lead=lead,
        opportunity=opportunity,
        kind=kind,
        outcome=outcome,
        body=body,
        author=by,
        occurred_at=now,
    )
    if (
        lead is not None
        and kind in Activity.TOUCH_KINDS
        and lead.stage == Stage.MQL
        and lead.first_response_at is None
        and lead.is_sales_actor(by)
    ):
        lead.first_response_at = now
        lead.save(update_fields=["first_response_at", "updated_at"])
    return activity


def activity_change(*, activity, by, body: str, outcome: str = ""):
    if not activity.can_be_changed_by(by):
        raise TransitionError("Only its author can change an activity, within 15 minutes.")
    body = (body or "").strip()
    if not body:
        raise TransitionError("Write what happened.")
    activity.body, activity.outcome = body, outcome
    activity.save(update_fields=["body", "outcome", "updated_at"])
    return activity


def activity_delete(*, activity, by) -> None:
    if not activity.can_be_changed_by(by):
        raise TransitionError("Only its author can delete an activity, within 15 minutes.")
    activity.delete()


# --- Who works a lead ---------------------------------------------------------------------------


@transaction.atomic
def lead_claim(*, lead: Lead, by) -> Lead:
    """A rep takes an unassigned MQL from the shared queue."""
    lead = _locked(lead)
    _check(
        lead,
        doing="claimed",
        from_stages={Stage.MQL},
        allowed=is_rep(by) or is_manager(by),
        who="a sales rep",
    )
    if lead.owner_id is not None:
        owner = "you" if lead.owner_id == by.pk else lead.owner
        raise TransitionError(f"{lead} is already assigned to {owner}.")
    lead.owner = by
    lead.save(update_fields=["owner", "updated_at"])
    return lead


@transaction.atomic
def lead_reassign(*, lead: Lead, by, to) -> Lead:
    """A manager hands a lead that sales is working to another active rep."""
    lead = _locked(lead)
    _check(
        lead,
        doing="reassigned",
        from_stages={Stage.MQL, Stage.SAL, Stage.SQL},
        allowed=is_manager(by),
        who="a manager",
    )
    if not (to.is_active and is_rep(to)):
        raise TransitionError(f"{to} is not an active sales rep.")
    if lead.owner_id == to.pk:
        raise TransitionError(f"{lead} is already assigned to {to}.")
    lead.owner = to
    lead.save(update_fields=["owner", "updated_at"])
    assignment.after_commit_notify([lead.pk])
    return lead


# --- Sales decides ----------------------------------------------------------------------------


@transaction.atomic
def lead_accept(*, lead: Lead, by) -> Lead:
    """MQL → SAL. Accepting an unassigned MQL claims it."""
    lead = _locked(lead)
    _check(
        lead,
        doing="accepted",
        from_stages={Stage.MQL},
        allowed=lead.can_be_accepted_by(by),
        who=MQL_DECIDERS,
    )
    now = timezone.now()
    sla = ServiceLevelAgreement.objects.in_force_at(now)
    decide_due = workhours.decide_due_at(sla, now) if sla else None
    lead.move_to(Stage.SAL, by=by, at=now, decide_due_at=decide_due)
    if lead.owner_id is None:
        lead.owner = by
    lead.accepted_at = now
    lead.first_response_at = lead.first_response_at or now
    _save(lead, "owner", "accepted_at", "first_response_at")
    return lead


@transaction.atomic
def lead_reject(*, lead: Lead, by, reason: str, detail: str = "") -> Lead:
    """MQL → recycled: sales sends the lead back to marketing's nurture with a reason."""
    lead = _locked(lead)
    _check(
        lead,
        doing="rejected",
        from_stages={Stage.MQL},
        allowed=lead.can_be_rejected_by(by),
        who=MQL_DECIDERS,
    )
    detail = _clean_reason(reason, detail, RejectReason, "rejecting the lead")
    now = timezone.now()
    lead.move_to(Stage.RECYCLED, by=by, at=now, reason=reason, detail=detail)
    lead.first_response_at = lead.first_response_at or now
    lead.owner = None
    lead.recycle_count += 1
    _save(lead, "first_response_at", "owner", "recycle_count")
    return lead


@transaction.atomic
def lead_qualify(*, lead: Lead, by, detail: str = "") -> Lead:
    """SAL → SQL."""
    lead = _locked(lead)
    _check(
        lead,
        doing="qualified",
        from_stages={Stage.SAL},
        allowed=lead.can_be_qualified_by(by),
        who="its owner or a manager",
    )
    now = timezone.now()
    lead.move_to(Stage.SQL, by=by, at=now, detail=(detail or "").strip())
    lead.qualified_at = now
    _save(lead, "qualified_at")
    return lead


@transaction.atomic
def lead_disqualify(*, lead: Lead, by, reason: str, detail: str = "") -> Lead:
    """SAL or SQL → disqualified, for good."""
    lead = _locked(lead)
    _check(
        lead,
        doing="disqualified",
        from_stages={Stage.SAL, Stage.SQL},
        allowed=lead.can_be_disqualified_by(by),
        who="its owner or a manager",
    )
    detail = _clean_reason(reason, detail, DisqualifyReason, "disqualifying the lead")
    now = timezone.now()
    lead.move_to(Stage.DISQUALIFIED, by=by, at=now, reason=reason, detail=detail)
    lead.closed_at = now
    _save(lead, "closed_at")
    return lead


@transaction.atomic
def lead_recycle(*, lead: Lead, by, reason: str, detail: str = "") -> Lead:
    """SAL or SQL → recycled: not ready to buy, back to marketing's nurture."""
    lead = _locked(lead)
    _check(
        lead,
        doing="recycled",
        from_stages={Stage.SAL, Stage.SQL},
        allowed=lead.can_be_recycled_by(by),
        who="its owner or a manager",
    )
    detail = _clean_reason(reason, detail, DisqualifyReason, "recycling the lead")
    lead.move_to(Stage.RECYCLED, by=by, reason=reason, detail=detail)
    lead.owner = None
    lead.recycle_count += 1
    _save(lead, "owner", "recycle_count")
    return lead


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    by,
    opportunity_name: str,
    amount,
    expected_close_date: dt.date,
    account: Account | None = None,
    account_name: str = "",
) -> Opportunity:
    """SQL → converted: opens an opportunity on the lead's account (found by name, or created).
    A deal with an account that is already a customer is an upsell."""
    lead = _locked(lead)
    _check(
        lead,
        doing="converted",
        from_stages={Stage.SQL},
        allowed=lead.can_be_converted_by(by),
        who="its owner or a manager",
    )
    opportunity_name = (opportunity_name or "").strip()
    if not opportunity_name:
        raise TransitionError("Name the opportunity.")
    amount = parse_money(amount)
    if account is None:
        name = (account_name or lead.company).strip()
        if not name:
            raise TransitionError("Name the account: the lead has no company.")
        account = Account.objects.find_or_create(
            name,
            industry=lead.industry,
            company_size=lead.company_size,
            country=lead.country,
            owner=lead.owner or by,
        )
    now = timezone.now()
    opportunity = Opportunity.objects.create(
        account=account,
        lead=lead,
        name=opportunity_name,
        owner=lead.owner or by,
        stage=Opportunity.Stage.DISCOVERY,
        probability=StageProbability.for_stage(Opportunity.Stage.DISCOVERY),
        amount=amount,
        expected_close_date=expected_close_date,
        type=default_type(account),
        stage_changed_at=now,
    )
    opportunity.record_change(by=by, at=now, note=f"Converted from lead {lead}.")
    lead.move_to(Stage.CONVERTED, by=by, at=now, detail=f"Opportunity: {opportunity.name}")
    lead.account = account
    lead.converted_at = now
    _save(lead, "account", "converted_at")
    return opportunity
