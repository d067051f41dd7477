"""Believable demo data: a small B2B software company's last six months of marketing and sales.

Leads flow through the funnel with realistic timing and drop-off. Everything is generated from
one seeded random source, so the same `seed` and `now` give the same company. Rows are written
with batched bulk inserts, so a million leads stay practical.
"""

import datetime as dt
import math
import random
import re
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from faker import Faker

from campaigns.models import Campaign, Channel, SpendEntry
from crm.db import Row, allocate_pks, bulk_insert
from crm.roles import Role
from leads import scoring
from leads.models import (
    Account,
    Activity,
    CompanySize,
    DisqualifyReason,
    Lead,
    LeadTransition,
    MqlReason,
    Opportunity,
    OpportunityStageChange,
    Proposal,
    ProposalLine,
    RejectReason,
    ScoringRule,
    StageProbability,
)
from leads.models.leads import REACHED_FLAGS, response_seconds
from leads.models.proposals import line_total, proposal_totals
from reports.models import Quota, ServiceLevelAgreement
from reports.workhours import Schedule, decide_due_at

DEMO_PASSWORD = "handoff-demo"
HISTORY_DAYS = 182
BATCH = 5000
SECOND = dt.timedelta(seconds=1)

# username, first name, last name, role, is_staff
DEMO_USERS = [
    ("morgan", "Morgan", "Lee", Role.MANAGERS, True),
    ("maria", "Maria", "Santos", Role.MARKETING, False),
    ("noah", "Noah", "Fischer", Role.MARKETING, False),
    ("sam", "Sam", "Carter", Role.SALES, False),
    ("riley", "Riley", "Chen", Role.SALES, False),
    ("alex", "Alex", "Novak", Role.SALES, False),
    ("jordan", "Jordan", "Blake", Role.SALES, False),
]

# Job titles and how often they turn up.
JOB_TITLES = [
    ("Chief Marketing Officer", 5),
    ("VP of Sales", 6),
    ("Head of Operations", 7),
    ("Chief Technology Officer", 4),
    ("Head of Marketing", 8),
    ("Sales Director", 7),
    ("Marketing Manager", 10),
    ("Operations Manager", 8),
    ("IT Manager", 8),
    ("Founder", 5),
    ("Business Analyst", 6),
    ("Software Engineer", 8),
    ("Marketing Coordinator", 6),
    ("Account Executive", 5),
    ("Office Manager", 3),
    ("Student", 3),
    ("Consultant", 4),
]
INDUSTRIES = [
    "Software",
    "Financial services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Logistics",
    "Education",
    "Media",
    "Professional services",
    "Energy",
    "Telecommunications",
    "Public sector",
]
COUNTRIES = [
    ("United Kingdom", 30),
    ("Germany", 15),
    ("United States", 20),
    ("France", 8),
    ("Netherlands", 7),
    ("Ireland", 5),
    ("Spain", 5),
    ("Sweden", 4),
    ("Poland", 3),
    ("Canada", 3),
]
# The demo company's scoring model: (field, condition, value, points).
SCORING_RULES = [
    ("job_title", "contains", "chief", 30),
    ("job_title", "contains", "vp", 30),
    ("job_title", "contains", "head of", 25),
    ("job_title", "contains", "director", 25),
    ("job_title", "equals", "founder", 25),
    ("job_title", "contains", "manager", 15),
    ("job_title", "equals", "student", -40),
    ("company_size", "at_least", "11-50", 10),
    ("company_size", "at_least", "51-200", 10),
    ("company_size", "at_least", "1001-5000", 5),
    ("channel", "in_list", "webinar, event, referral", 15),
    ("channel", "in_list", "partner, paid_search, content", 5),
    ("country", "in_list", "United Kingdom, Germany, Netherlands, Ireland", 5),
    ("submission_count", "at_least", "2", 10),
]
SEGMENTS = [
    "Mid-market SaaS",
    "Enterprise finance",
    "UK SMB",
    "DACH manufacturing",
    "Healthcare IT",
    "Retail chains",
]
# A campaign theme with the channel it runs on.
CAMPAIGN_THEMES = [
    ("Spring product launch", Channel.EMAIL),
    ("Revenue operations webinar", Channel.WEBINAR),
    ("Pipeline health check", Channel.CONTENT),
    ("Partner referral push", Channel.PARTNER),
    ("Industry summit", Channel.EVENT),
    ("CFO guide to CAC", Channel.CONTENT),
    ("Retargeting always-on", Channel.DISPLAY),
    ("Customer stories series", Channel.ORGANIC_SOCIAL),
    ("Free trial drive", Channel.PAID_SEARCH),
    ("Regional roadshow", Channel.EVENT),
    ("Analyst report download", Channel.PAID_SOCIAL),
    ("Year-end planning kit", Channel.EMAIL),
    ("Direct mail to enterprise", Channel.DIRECT_MAIL),
    ("LinkedIn thought leadership", Channel.PAID_SOCIAL),
    ("Search: brand and competitors", Channel.PAID_SEARCH),
    ("Newsletter relaunch", Channel.EMAIL),
    ("Integration marketplace", Channel.PARTNER),
    ("Customer referral rewards", Channel.REFERRAL),
    ("Community meetup", Channel.EVENT),
    ("Display awareness burst", Channel.DISPLAY),
]
PRODUCTS = [
    ("Handoff Platform licence (annual, per seat)", Decimal("480.00")),
    ("Onboarding and data migration", Decimal("3500.00")),
    ("Premium support (annual)", Decimal("2400.00")),
    ("Analytics add-on (annual)", Decimal("1800.00")),
    ("Training workshop (per day)", Decimal("1200.00")),
]
NOTE_BODIES = [
    "Intro call booked for next week.",
    "Left a voicemail, will follow up by e-mail.",
    "Interested in the analytics add-on; budget is set in Q{q}.",
    "Sent the case study they asked for.",
    "Discussed timeline: they want to decide within the quarter.",
    "Talked through pricing tiers; they will bring in their CFO.",
    "Demo went well; technical questions about the API.",
    "Waiting on procurement.",
]


@dataclass
class Summary:
    users: list[tuple[str, str]] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0


def has_domain_data() -> bool:
    return Lead.objects.exists() or Campaign.objects.exists() or Opportunity.objects.exists()


def demo_logins() -> list[tuple[str, str]]:
    return [(username, role.label) for username, _, _, role, _ in DEMO_USERS]


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _working_delay(rng: random.Random, median_hours: float, spread: float = 1.0) -> dt.timedelta:
    """A log-normal delay: most are quick, a few are very late."""
    return dt.timedelta(hours=rng.lognormvariate(math.log(median_hours), spread))


class DemoBuilder:
    def __init__(self, *, leads: int, seed: int, now: dt.datetime, log=None):
        self.n_leads = leads
        self.rng = random.Random(seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.now = now
        self.start = now - dt.timedelta(days=HISTORY_DAYS)
        self.log = log or (lambda message: None)
        self.summary = Summary()
        self.accounts: dict[str, Account] = {}
        self.customer_since: dict[int, dt.date] = {}
        self.probabilities = StageProbability.table()

    # --- People and agreements ------------------------------------------------------------

    def build_users(self):
        User = get_user_model()
        password = make_password(DEMO_PASSWORD)  # hash once: PBKDF2 is slow on purpose
        groups = {group.name: group for group in Group.objects.filter(name__in=Role.values)}
        self.users = {}
        for username, first, last, role, staff in DEMO_USERS:
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@handoff.example",
                    "is_staff": staff,
                    "is_active": True,
                    "password": password,
                },
            )
            user.groups.set([groups[role.value]])
            self.users[username] = user
        self.marketers = [self.users[row[0]] for row in DEMO_USERS if row[3] == Role.MARKETING]
        self.reps = [self.users[row[0]] for row in DEMO_USERS if row[3] == Role.SALES]
        self.manager = self.users["morgan"]
        self.summary.users = demo_logins()
        self.summary.counts["users"] = len(DEMO_USERS)

    def build_rules(self):
        self.rules = ScoringRule.objects.bulk_create(
            ScoringRule(
                field=field,
                condition=condition,
                value=value,
                points=points,
                created_by=self.manager,
            )
            for field, condition, value, points in SCORING_RULES
        )
        self.summary.counts["scoring rules"] = len(self.rules)

    def build_slas(self):
        common = {
            "mql_target_per_month": max(20, round(self.n_leads * 0.45 / 6 * 0.9)),
            "mql_min_score": 50,
            "mql_required_fields": ["email", "company"],
            "first_contact_within_hours": 8,
            "qualify_within_days": 10,
            "workday_start": dt.time(9, 0),
            "workday_end": dt.time(17, 0),
            "working_days": [0, 1, 2, 3, 4],
            "timezone": "Europe/London",
            "assignment": ServiceLevelAgreement.Assignment.ROUND_ROBIN,
        }
        # Versions follow whatever the installation already has (the migration's first SLA).
        base = ServiceLevelAgreement.objects.aggregate(v=Max("version"))["v"] or 0
        first = ServiceLevelAgreement.objects.create(
            version=base + 1,
            effective_from=self.start - dt.timedelta(days=30),
            created_by=self.manager,
            change_note="First agreement between marketing and sales.",
            accept_within_hours=8,
            **common,
        )
        second = ServiceLevelAgreement.objects.create(
            version=base + 2,
            effective_from=self.now - dt.timedelta(days=60),
            created_by=self.manager,
            change_note="Tighter response window: MQLs went cold waiting a whole day.",
            accept_within_hours=4,
            escalate_after_hours=12,
            **common,
        )
        self.slas = [first, second]
        self.schedules = {sla.pk: Schedule.of(sla) for sla in self.slas}
        self.summary.counts["SLA versions"] = 2

    def sla_at(self, when: dt.datetime) -> ServiceLevelAgreement:
        return self.slas[1] if when >= self.slas[1].effective_from else self.slas[0]

    # --- Campaigns ------------------------------------------------------------------------

    def build_campaigns(self):
        rng = self.rng
        count = max(20, min(400, self.n_leads // 5000))
        campaigns = []
        today = self.now.date()
        for i in range(count):
            theme, channel = CAMPAIGN_THEMES[i % len(CAMPAIGN_THEMES)]
            round_no = i // len(CAMPAIGN_THEMES)
            name = theme if round_no == 0 else f"{theme} #{round_no + 1}"
            start = self.start.date() + dt.timedelta(days=rng.randint(0, HISTORY_DAYS - 20))
            end = start + dt.timedelta(days=rng.choice([14, 30, 45, 60, 90, 120]))
            if end < today:
                status = Campaign.Status.COMPLETED
            elif rng.random() < 0.15:
                status = Campaign.Status.PAUSED
            else:
                status = Campaign.Status.ACTIVE
            segment = rng.choice(SEGMENTS)
            campaigns.append(
                Campaign(
                    name=name,
                    slug=_slug(name),
                    channel=channel,
                    objective=rng.choice(Campaign.Objective.values),
                    target_segment=segment,
                    status=status,
                    start_date=start,
                    end_date=end,
                    budget=Decimal(rng.randrange(2_000, 60_000, 500)),
                    owner=rng.choice(self.marketers),
                    description=f"{theme}, run on {Channel(channel).label.lower()} for "
                    f"{segment.lower()} buyers.",
                    created_at=self._aware(start) - dt.timedelta(days=7),
                )
            )
        # One campaign is still being planned, so every status appears.
        planned = campaigns[-1]
        planned.status = Campaign.Status.PLANNED
        planned.start_date = today + dt.timedelta(days=14)
        planned.end_date = planned.start_date + dt.timedelta(days=30)
        Campaign.objects.bulk_create(campaigns, batch_size=500)
        self.campaigns = campaigns
        spend = []
        for campaign in campaigns:
            # A weekly entry from the first day; together they land near the budget, some over.
            weeks = (campaign.end_date - campaign.start_date).days // 7 + 1
            weekly = campaign.budget * Decimal("0.95") / weeks
            day = campaign.start_date
            last = min(campaign.end_date, today)
            while day <= last:
                amount = (weekly * Decimal(str(rng.uniform(0.7, 1.3)))).quantize(Decimal("0.01"))
                if amount > 0:
                    spend.append(
                        SpendEntry(
                            campaign=campaign,
                            date=day,
                            amount=amount,
                            note=rng.choice(["Media", "Agency fee", "Sponsorship", "Ads", ""]),
                            created_by=campaign.owner,
                        )
                    )
                day += dt.timedelta(days=7)
        SpendEntry.objects.bulk_create(spend, batch_size=2000)
        self.summary.counts["campaigns"] = len(campaigns)
        self.summary.counts["spend entries"] = len(spend)

    def _aware(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.timezone.utc)

    # --- Leads ----------------------------------------------------------------------------

    def build_pools(self):
        fake = self.fake
        self.first_names = [fake.first_name() for _ in range(800)]
        self.last_names = [fake.last_name() for _ in range(1500)]
        n_companies = max(300, min(40_000, self.n_leads // 8))
        seen = set()
        self.companies = []
        while len(self.companies) < n_companies:
            name = fake.company()
            if len(seen) > n_companies * 3:
                name = f"{name} {len(self.companies)}"
            if name.lower() not in seen:
                seen.add(name.lower())
                self.companies.append(name)
        self.company_facts = {
            name: (
                self.rng.choice(INDUSTRIES),
                _weighted(
                    self.rng,
                    [
                        (s, w)
                        for s, w in zip(CompanySize.values, [10, 25, 30, 20, 10, 5], strict=True)
                    ],
                ),
                _weighted(self.rng, COUNTRIES),
            )
            for name in self.companies
        }
        self.slugs = {name: _slug(name) for name in self.first_names + self.last_names}
        self.domains = {name: _slug(name).replace("-", "") or "example" for name in self.companies}
        live = [c for c in self.campaigns if c.status != Campaign.Status.PLANNED]
        self.campaign_weights = [float(c.budget) for c in live]
        self.live_campaigns = live

    def _insert(self, model, rows: list[Row]) -> None:
        for row, pk in zip(rows, allocate_pks(model, len(rows)), strict=True):
            row.pk = pk
        bulk_insert(model, rows)

    def build_leads(self):
        done = 0
        self.rr = 0  # round-robin pointer over reps
        while done < self.n_leads:
            size = min(BATCH, self.n_leads - done)
            with transaction.atomic():
                self._write_batch([self._plan_lead(done + i) for i in range(size)])
            done += size
            if done % 50_000 == 0 or done == self.n_leads:
                self.log(f"  {done:,} leads")
        self._mark_customers()

    def _plan_lead(self, i: int) -> dict:
        rng = self.rng
        first = rng.choice(self.first_names)
        last = rng.choice(self.last_names)
        company = rng.choice(self.companies)
        industry, size, country = self.company_facts[company]
        if rng.random() < 0.9:
            campaign = rng.choices(self.live_campaigns, weights=self.campaign_weights)[0]
            window_start = max(self._aware(campaign.start_date), self.start)
            window_end = min(self._aware(campaign.end_date) + dt.timedelta(days=1), self.now)
            if window_end <= window_start:
                window_start = self.start
            channel = campaign.channel
        else:
            campaign = None
            window_start, window_end = self.start, self.now
            channel = rng.choice([Channel.REFERRAL, Channel.ORGANIC_SOCIAL, Channel.OTHER])
        created = window_start + (window_end - window_start) * rng.random()
        title = _weighted(rng, JOB_TITLES)
        has_company = rng.random() > 0.04
        lead = Row(
            first_name=first,
            last_name=last,
            email=f"{self.slugs[first]}.{self.slugs[last]}.{i}@{self.domains[company]}.example",
            phone=f"+44 20 {rng.randrange(10_000):04d} {rng.randrange(10_000):04d}"
            if rng.random() < 0.6
            else "",
            company=company if has_company else "",
            job_title=title,
            industry=industry,
            company_size=size,
            country=country,
            external_id=f"DEMO-{i:07d}" if rng.random() < 0.3 else "",
            campaign=campaign,
            channel=channel,
            submission_count=0,
            created_at=created,
            stage=Lead.Stage.NEW,
            stage_changed_at=created,
            stage_reason="",
            owner=None,
            account=None,
            recycle_count=0,
            mql_at=None,
            response_due_at=None,
            accepted_at=None,
            first_response_at=None,
            qualified_at=None,
            converted_at=None,
            closed_at=None,
            reached_mql=False,
            reached_sal=False,
            reached_sql=False,
        )
        lead.score = scoring.score(lead, self.rules)
        plan = {"lead": lead, "transitions": [], "activities": [], "deal": None, "company": company}
        self._simulate(lead, plan)
        return plan

    def _transition(self, plan, lead, to_stage, at, actor=None, reason="", detail="", sla=None):
        qualification, due, pass_started, took = {}, None, None, None
        contact_due = decide_due = None
        if to_stage == Lead.Stage.MQL:
            qualification = sla.check_lead(lead).as_trace()
            due = self.schedules[sla.pk].add(at, sla.accept_within_hours)
            contact_due = self.schedules[sla.pk].add(at, sla.first_contact_within_hours)
        elif lead.stage == Lead.Stage.MQL:  # sales' answer closes the pass
            due, pass_started = lead.response_due_at, lead.mql_at
            took = response_seconds(lead, at)
            if to_stage == Lead.Stage.SAL:
                decide_due = decide_due_at(self.sla_at(at), at)
                plan["stint"] = (lead.mql_at, decide_due)
        elif lead.stage == Lead.Stage.SAL:  # leaving SAL ends the stint (see carry_stint)
            pass_started, decide_due = plan.pop("stint", (None, None))
        plan["transitions"].append(
            Row(
                from_stage=lead.stage,
                to_stage=to_stage,
                actor=actor,
                at=at,
                reason=reason,
                detail=detail,
                sla=sla,
                qualification=qualification,
                due_at=due,
                pass_started_at=pass_started,
                response_seconds=took,
                contact_due_at=contact_due,
                decide_due_at=decide_due,
            )
        )
        lead.stage = to_stage
        lead.stage_changed_at = at
        lead.stage_reason = reason
        if to_stage in REACHED_FLAGS:
            setattr(lead, REACHED_FLAGS[to_stage], True)

    def _next_rep(self):
        rep = self.reps[self.rr % len(self.reps)]
        self.rr += 1
        return rep

    def _simulate(self, lead: Lead, plan: dict):
        """Walk one lead through the funnel, stopping wherever `now` catches up with it."""
        rng, now = self.rng, self.now
        meets = lead.score >= 50 and lead.company
        if meets:
            # The system promotes a qualifying lead as soon as it is captured.
            at = min(lead.created_at + dt.timedelta(minutes=rng.randint(1, 30)), now - SECOND)
            actor, reason, justification = None, MqlReason.SCORE, ""
        elif lead.score >= 35 and rng.random() < 0.12:
            at = lead.created_at + dt.timedelta(days=rng.uniform(0.5, 10))
            actor = rng.choice(self.marketers)
            reason = MqlReason.OVERRIDE
            justification = "Asked for a demo at our booth; strong buying signals."
        else:
            return
        passes = 0
        while at < now and passes < 3:
            passes += 1
            sla = self.sla_at(at)
            self._transition(plan, lead, Lead.Stage.MQL, at, actor, reason, justification, sla)
            lead.mql_at = at
            lead.response_due_at = plan["transitions"][-1].due_at
            lead.accepted_at = lead.first_response_at = lead.qualified_at = None
            lead.owner = None if rng.random() < 0.12 else self._next_rep()
            outcome = self._work_mql(lead, plan, at)
            if outcome != "resend":
                return
            # Recycled to nurture; marketing re-sends some after a while.
            at = lead.stage_changed_at + dt.timedelta(days=rng.uniform(10, 45))
            actor = rng.choice(self.marketers)
            reason = MqlReason.MANUAL if meets else MqlReason.OVERRIDE
            justification = "Re-engaged: opened the last three nurture e-mails."

    def _work_mql(self, lead: Lead, plan: dict, mql_at: dt.datetime) -> str:
        rng, now = self.rng, self.now
        sla = self.sla_at(mql_at)
        late = rng.random() < 0.15
        respond_at = mql_at + _working_delay(
            rng, sla.accept_within_hours * (3 if late else 0.4), 0.8
        )
        # A backlog: about half of the last three days' MQLs still wait for sales.
        if respond_at >= now or (now - mql_at < dt.timedelta(days=3) and rng.random() < 0.5):
            return "waiting"
        rep = lead.owner or self._next_rep()
        lead.owner = rep
        if rng.random() < 0.2:
            reason = _weighted(
                rng,
                [
                    (RejectReason.NOT_ICP, 30),
                    (RejectReason.NO_BUDGET, 15),
                    (RejectReason.WRONG_CONTACT, 15),
                    (RejectReason.DUPLICATE, 5),
                    (RejectReason.STUDENT_OR_COMPETITOR, 10),
                    (RejectReason.BAD_DATA, 10),
                    (RejectReason.EXISTING_CUSTOMER, 10),
                    (RejectReason.OTHER, 5),
                ],
            )
            detail = "Not a fit for our product today." if reason == RejectReason.OTHER else ""
            self._transition(plan, lead, Lead.Stage.RECYCLED, respond_at, rep, reason, detail)
            lead.first_response_at = respond_at
            lead.owner = None
            lead.recycle_count += 1
            return "resend" if rng.random() < 0.3 else "nurture"
        self._transition(plan, lead, Lead.Stage.SAL, respond_at, rep)
        lead.accepted_at = lead.first_response_at = respond_at
        self._activity(plan, rep, respond_at + dt.timedelta(minutes=rng.randint(5, 240)), lead=True)
        decide_at = respond_at + dt.timedelta(days=rng.uniform(1, 12))
        if decide_at >= now:
            return "working"
        roll = rng.random()
        if roll < 0.32:
            self._transition(plan, lead, Lead.Stage.SQL, decide_at, rep, detail="BANT confirmed.")
            lead.qualified_at = decide_at
        elif roll < 0.72:
            self._transition(
                plan,
                lead,
                Lead.Stage.DISQUALIFIED,
                decide_at,
                rep,
                self._dq_reason(),
                "",
            )
            lead.closed_at = decide_at
            return "closed"
        elif roll < 0.85:
            self._transition(
                plan,
                lead,
                Lead.Stage.RECYCLED,
                decide_at,
                rep,
                DisqualifyReason.BAD_TIMING,
                "Revisit next quarter.",
            )
            lead.owner = None
            lead.recycle_count += 1
            return "resend" if rng.random() < 0.3 else "nurture"
        elif now - decide_at < dt.timedelta(days=14):
            return "working"  # still being worked
        else:
            self._transition(
                plan, lead, Lead.Stage.DISQUALIFIED, decide_at, rep, DisqualifyReason.UNRESPONSIVE
            )
            lead.closed_at = decide_at
            return "closed"
        convert_at = decide_at + dt.timedelta(days=rng.uniform(2, 15))
        if convert_at >= now:
            return "working"
        if rng.random() < 0.55:
            self._convert(lead, plan, rep, convert_at)
        else:
            self._transition(
                plan, lead, Lead.Stage.DISQUALIFIED, convert_at, rep, self._dq_reason()
            )
            lead.closed_at = convert_at
        return "closed"

    def _dq_reason(self):
        return _weighted(
            self.rng,
            [
                (DisqualifyReason.NO_BUDGET, 25),
                (DisqualifyReason.NO_NEED, 20),
                (DisqualifyReason.NO_AUTHORITY, 10),
                (DisqualifyReason.UNRESPONSIVE, 25),
                (DisqualifyReason.NOT_ICP, 10),
                (DisqualifyReason.COMPETITOR, 10),
            ],
        )

    def _activity(self, plan, author, at, *, lead=False, deal=False):
        if at >= self.now:
            return
        kind = _weighted(
            self.rng,
            [
                (Activity.Kind.CALL, 40),
                (Activity.Kind.EMAIL, 30),
                (Activity.Kind.MEETING, 15),
                (Activity.Kind.NOTE, 15),
            ],
        )
        outcome = {
            Activity.Kind.CALL: self.rng.choice(["connected", "left_message", "no_answer"]),
            Activity.Kind.EMAIL: self.rng.choice(["", "replied"]),
            Activity.Kind.MEETING: self.rng.choice(["held", "held", "no_show"]),
            Activity.Kind.NOTE: "",
        }[kind]
        body = self.rng.choice(NOTE_BODIES).format(q=self.rng.randint(1, 4))
        target = "deal_activities" if deal else "activities"
        plan.setdefault(target, []).append(
            Row(kind=kind, outcome=outcome, body=body, author=author, occurred_at=at, created_at=at)
        )

    def _convert(self, lead, plan, rep, at):
        rng, now = self.rng, self.now
        self._transition(plan, lead, Lead.Stage.CONVERTED, at, rep)
        lead.converted_at = at
        amount = Decimal(round(rng.lognormvariate(math.log(14_000), 0.7), -2)).quantize(
            Decimal("0.01")
        )
        product = rng.choice(["Platform", "Analytics", "Team plan", "Enterprise"])
        deal = {
            "name": f"{plan['company']} — {product}",
            "owner": rep,
            "amount": amount,
            "created": at,
            "expected_close": (at + dt.timedelta(days=rng.randint(30, 90))).date(),
            "changes": [("", Opportunity.Stage.DISCOVERY, at)],
            "lost_reason": "",
        }
        stage_at = at
        stage = Opportunity.Stage.DISCOVERY
        for next_stage in [*Opportunity.OPEN_STAGES[1:], Opportunity.Stage.WON]:
            stage_at = stage_at + dt.timedelta(days=rng.uniform(4, 21))
            if stage_at >= now:
                break
            if rng.random() < 0.22:
                deal["changes"].append((stage, Opportunity.Stage.LOST, stage_at))
                deal["lost_reason"] = rng.choice(Opportunity.LostReason.values[:-1])
                stage = Opportunity.Stage.LOST
                break
            deal["changes"].append((stage, next_stage, stage_at))
            stage = next_stage
        deal["stage"] = stage
        if stage in Opportunity.CLOSED_STAGES:
            lead.closed_at = deal["changes"][-1][2]
        plan["deal"] = deal
        for _ in range(rng.randint(1, 4)):
            self._activity(plan, rep, at + dt.timedelta(days=rng.uniform(0, 40)), deal=True)

    def _account(self, company: str) -> Account:
        account = self.accounts.get(company)
        if account is None:
            industry, size, country = self.company_facts[company]
            account = Row(
                name=company,
                industry=industry,
                company_size=size,
                country=country,
                website=f"https://www.{_slug(company).replace('-', '')}.example",
            )
            self.accounts[company] = account
            self.new_accounts.append(account)
        return account

    def _write_batch(self, plans: list[dict]):
        new_accounts = self.new_accounts = []
        for plan in plans:
            if plan["deal"]:
                account = self._account(plan["company"])
                if account.pk is None and not hasattr(account, "owner"):
                    account.owner = plan["deal"]["owner"]
                    account.created_at = plan["deal"]["created"]
                plan["lead"].account = account
        self._insert(Account, new_accounts)
        leads = [plan["lead"] for plan in plans]
        self._insert(Lead, leads)
        transitions, activities, deals = [], [], []
        for plan in plans:
            lead = plan["lead"]
            for t in plan["transitions"]:
                t.lead, t.campaign, t.channel = lead, lead.campaign, lead.channel
                transitions.append(t)
            for a in plan.get("activities", []):
                a.lead = lead
                activities.append(a)
            if plan["deal"]:
                deals.append(plan)
        self._insert(LeadTransition, transitions)
        opportunities = []
        for plan in deals:
            deal, lead = plan["deal"], plan["lead"]
            stage = deal["stage"]
            closed_at = deal["changes"][-1][2] if stage in Opportunity.CLOSED_STAGES else None
            account = lead.account
            opportunity = Row(
                account=account,
                lead=lead,
                name=deal["name"][:200],
                owner=deal["owner"],
                stage=stage,
                probability=self.probabilities[stage],
                amount=deal["amount"],
                expected_close_date=deal["expected_close"],
                closed_date=closed_at.date() if closed_at else None,
                lost_reason=deal["lost_reason"],
                type=(
                    Opportunity.Type.UPSELL
                    if account.pk in self.customer_since
                    and self.customer_since[account.pk] <= deal["created"].date()
                    else Opportunity.Type.NEW_BUSINESS
                ),
                stage_changed_at=deal["changes"][-1][2],
                created_at=deal["created"],
            )
            if stage == Opportunity.Stage.WON:
                day = closed_at.date()
                if account.pk not in self.customer_since or day < self.customer_since[account.pk]:
                    self.customer_since[account.pk] = day
            opportunities.append(opportunity)
            plan["opportunity"] = opportunity
        self._insert(Opportunity, opportunities)
        changes, proposals = [], []
        for plan in deals:
            opportunity, deal = plan["opportunity"], plan["deal"]
            for from_stage, to_stage, at in deal["changes"]:
                changes.append(
                    Row(
                        opportunity=opportunity,
                        from_stage=from_stage,
                        to_stage=to_stage,
                        from_amount=None if not from_stage else opportunity.amount,
                        to_amount=opportunity.amount,
                        actor=deal["owner"],
                        at=at,
                    )
                )
            for a in plan.get("deal_activities", []):
                a.opportunity = opportunity
                activities.append(a)
            reached = [to for _, to, _ in deal["changes"]]
            if Opportunity.Stage.PROPOSAL in reached:
                proposals.append(self._proposal(opportunity, deal))
        self._insert(OpportunityStageChange, changes)
        self._insert(Activity, activities)
        self._insert(Proposal, [p for p, _ in proposals])
        lines = []
        for proposal, proposal_lines in proposals:
            for line in proposal_lines:
                line.proposal = proposal
                lines.append(line)
        self._insert(ProposalLine, lines)
        counts = self.summary.counts
        counts["leads"] += len(leads)
        counts["lead transitions"] += len(transitions)
        counts["activities"] += len(activities)
        counts["accounts"] += len(new_accounts)
        counts["opportunities"] += len(opportunities)
        counts["proposals"] += len(proposals)

    def _proposal(self, opportunity: Opportunity, deal: dict):
        rng = self.rng
        sent_at = next(at for _, to, at in deal["changes"] if to == Opportunity.Stage.PROPOSAL)
        status = {
            Opportunity.Stage.WON: Proposal.Status.ACCEPTED,
            Opportunity.Stage.LOST: Proposal.Status.DECLINED,
        }.get(opportunity.stage, Proposal.Status.SENT)
        valid_until = (sent_at + dt.timedelta(days=30)).date()
        proposal = Row(
            opportunity=opportunity,
            version=1,
            title=f"Proposal for {opportunity.account.name}"[:200],
            status=status,
            valid_until=valid_until,
            tax_rate=Decimal("20.00"),
            terms="Payment within 30 days of invoice. Prices exclude travel.",
            author=deal["owner"],
            sent_at=sent_at,
            answered_at=None if status == Proposal.Status.SENT else deal["changes"][-1][2],
            created_at=sent_at - dt.timedelta(days=1),
        )
        # Seats make up the deal's amount; services are added on top at list price.
        licence, seat_price = PRODUCTS[0]
        discount = Decimal(rng.choice([0, 0, 5, 10, 15]))
        seats = max(1, round(opportunity.amount / seat_price))
        lines = [
            Row(
                position=0,
                description=licence,
                quantity=Decimal(seats),
                unit_price=seat_price,
                discount_percent=discount,
            )
        ]
        for position, (description, price) in enumerate(
            rng.sample(PRODUCTS[1:], rng.randint(0, 2)), start=1
        ):
            lines.append(
                Row(
                    position=position,
                    description=description,
                    quantity=Decimal(1),
                    unit_price=price,
                )
            )
        totals = proposal_totals(
            (
                line_total(x.quantity, x.unit_price, getattr(x, "discount_percent", 0))
                for x in lines
            ),
            proposal.tax_rate,
        )
        proposal.subtotal, proposal.tax_amount, proposal.total = (
            totals["subtotal"],
            totals["tax"],
            totals["total"],
        )
        return proposal, lines

    def _mark_customers(self):
        accounts = [Account(pk=pk, customer_since=day) for pk, day in self.customer_since.items()]
        Account.objects.bulk_update(accounts, ["customer_since"], batch_size=1000)
        self.summary.counts["customers"] = len(accounts)

    def build_quotas(self):
        quotas = []
        month = self.start.date().replace(day=1)
        last = (self.now.date().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        per_rep = Decimal(max(10_000, round(self.n_leads * 18 / len(self.reps), -3)))
        while month <= last:
            for rep in self.reps:
                quotas.append(
                    Quota(rep=rep, period=Quota.Period.MONTH, period_start=month, amount=per_rep)
                )
            month = (month + dt.timedelta(days=32)).replace(day=1)
        quarter = self.now.date().replace(month=(self.now.month - 1) // 3 * 3 + 1, day=1)
        for rep in self.reps:
            quotas.append(
                Quota(
                    rep=rep, period=Quota.Period.QUARTER, period_start=quarter, amount=per_rep * 3
                )
            )
        for quota in quotas:
            quota.period_end = quota.last_day()  # bulk_create does not call save()
        Quota.objects.bulk_create(quotas)
        self.summary.counts["quotas"] = len(quotas)

    def run(self) -> Summary:
        began = time.perf_counter()
        if connection.vendor == "sqlite":
            # Inserting into a dozen indexes at once thrashes SQLite's default 2 MB page cache.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -524288")  # 512 MB, this connection only
        with transaction.atomic():
            self.build_users()
            self.build_slas()
            self.build_rules()
            self.build_campaigns()
            self.build_pools()
            self.build_quotas()
        self.build_leads()
        self.summary.seconds = time.perf_counter() - began
        return self.summary


def seed(*, leads: int, seed: int, now: dt.datetime | None = None, log=None) -> Summary:
    # Whole hours, so two runs with the same seed in the same hour build the same company.
    now = now or timezone.now().replace(minute=0, second=0, microsecond=0)
    return DemoBuilder(leads=leads, seed=seed, now=now, log=log).run()
