"""Importing opportunities (deals) from CSV: one importer behind both the browser and
`manage.py import_opportunities`, reading files the way the lead importer does.

Every row is parsed and checked completely before anything is written; a row with a problem is
reported (row, column, value, message) and left out whole. The others are written in batches,
each in one transaction: the deal, its account (created if new), its history rows and the link
to its lead go in together or not at all. Deals are matched on their external id.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Exists, F, Min, OuterRef, Q
from django.db.models.functions import Lower, TruncDate
from django.utils import timezone
from django.utils.text import slugify

from crm.db import Row, allocate_pks, bulk_insert, hold_lock
from crm.roles import Role
from leads.importer import FileProblem, Result, RowError, mapped_cells, parse_date, read
from leads.models import (
    Account,
    Lead,
    LeadTransition,
    Opportunity,
    OpportunityStageChange,
    to_cents,
)

BATCH = 2000
# Held by a batch from its lookups to its commit (see crm.db.hold_lock).
LOCK = "deals:import"
Stage = Opportunity.Stage

# What a column can be mapped to, with the header names (and synonyms) that suggest it.
FIELDS = {
    "external_id": (
        "External id",
        ["external id", "id", "deal id", "opportunity id", "record id", "crm id"],
    ),
    "name": ("Deal name", ["name", "deal", "deal name", "opportunity", "opportunity name"]),
    "account": (
        "Account",
        ["account", "account name", "company", "company name", "customer", "organisation"],
    ),
    "owner": (
        "Owner",
        ["owner", "deal owner", "sales agent", "sales rep", "rep", "salesperson", "assigned to"],
    ),
    "stage": ("Stage", ["stage", "deal stage", "status", "pipeline stage"]),
    "amount": ("Amount", ["amount", "value", "deal value", "close value", "revenue", "price"]),
    "product": ("Product", ["product", "products", "item", "plan"]),
    "created_at": (
        "Created or engaged date",
        [
            "created",
            "created date",
            "created at",
            "engage date",
            "engaged",
            "engaged date",
            "open date",
        ],
    ),
    "close_date": (
        "Close date",
        ["close date", "closed", "closed date", "expected close", "expected close date"],
    ),
    "type": ("Type", ["type", "deal type", "opportunity type"]),
    "lost_reason": ("Lost reason", ["lost reason", "loss reason", "reason lost"]),
    "lead_external_id": (
        "Lead's external id",
        ["lead id", "lead external id", "lead", "contact id"],
    ),
}
# A deal without a name column is named after its account and product.
REQUIRED = ("external_id", "account", "owner", "stage")
TEXT_LIMITS = {"external_id": 100, "name": 200, "account": 200, "product": 200, "owner": 150}

# Spellings of our own stages, types and lost reasons that a file may use.
STAGE_NAMES = {
    **{value: value for value in Stage.values},
    **{label.casefold(): value for value, label in Stage.choices},
    "closed won": Stage.WON,
    "closed lost": Stage.LOST,
}
TYPE_NAMES = {
    **{value: value for value in Opportunity.Type.values},
    **{label.casefold(): value for value, label in Opportunity.Type.choices},
    "new": Opportunity.Type.NEW_BUSINESS,
    "existing business": Opportunity.Type.UPSELL,
}
LOST_NAMES = {
    **{value: value for value in Opportunity.LostReason.values},
    **{label.casefold(): value for value, label in Opportunity.LostReason.choices},
}


@dataclass
class Options:
    mapping: dict[str, str]  # deal field → CSV column
    stage_map: dict[str, str] = field(default_factory=dict)  # the file's stage (any case) → ours
    create_users: bool = False
    dayfirst: bool = True
    on_duplicate: str = "skip"  # or "update"
    dry_run: bool = False
    by: object = None  # who imports: the actor on the history rows


@dataclass
class _Parsed:
    line: int
    values: dict


# --- Parsing one value --------------------------------------------------------------------


_MONEY_JUNK = re.compile(r"[\s$€£¥]|USD|EUR|GBP", re.IGNORECASE)


def parse_amount(text: str) -> Decimal:
    """1234.5, 1,234.50, 1.234,50, 1 234,50, $1,234, €99 — in cents, never negative."""
    cleaned = _MONEY_JUNK.sub("", text)
    if "," in cleaned and "." in cleaned:
        # The separator that comes last is the decimal one.
        thousands = "," if cleaned.rfind(".") > cleaned.rfind(",") else "."
        cleaned = cleaned.replace(thousands, "").replace(",", ".")
    elif "," in cleaned:
        thousands = re.fullmatch(r"-?\d{1,3}(,\d{3})+", cleaned)
        cleaned = cleaned.replace(",", "" if thousands else ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as e:
        raise ValueError("is not an amount") from e
    if not amount.is_finite():
        raise ValueError("is not an amount")
    if amount < 0:
        raise ValueError("is negative")
    if amount >= Decimal("10000000000"):
        raise ValueError("is too large")
    return to_cents(amount)


class People:
    """The users a file's owner column can name: username, e-mail or full name, any case."""

    def __init__(self, create: bool):
        self.create = create
        self.by_key: dict[str, object] = {}
        self._read_users()
        self.to_create: dict[str, str] = {}  # key → the name as the file wrote it

    def _read_users(self) -> None:
        for user in get_user_model().objects.filter(is_active=True):
            for key in (user.username, user.email, f"{user.first_name} {user.last_name}"):
                if key.strip():
                    self.by_key.setdefault(" ".join(key.casefold().split()), user)

    @staticmethod
    def key(text: str) -> str:
        return " ".join(text.casefold().split())

    def find(self, text: str):
        """The user, or the key of one to create; raises ValueError when neither."""
        key = self.key(text)
        if key in self.by_key:
            return self.by_key[key]
        if self.create and "@" not in key:
            self.to_create.setdefault(key, " ".join(text.split()))
            return key
        raise ValueError(
            "is not a user: match a username, e-mail or full name, or let the import create reps"
        )

    def create_pending(self) -> list:
        """Make a sales rep for each new name: no usable password until someone sets one.
        Call it under the import lock: a name another import has made a rep for since this
        one read the users is that rep, not a second one."""
        if not self.to_create:
            return []
        self._read_users()
        self.to_create = {k: v for k, v in self.to_create.items() if k not in self.by_key}
        User = get_user_model()
        sales = Group.objects.get(name=Role.SALES.value)
        taken = set(User.objects.values_list("username", flat=True))
        created = []
        for key, name in self.to_create.items():
            first, _, last = name.partition(" ")
            base = slugify(name).replace("-", ".")[:140] or "rep"
            username, n = base, 1
            while username in taken:
                n += 1
                username = f"{base}{n}"
            taken.add(username)
            user = User(username=username, first_name=first[:150], last_name=last[:150])
            user.set_unusable_password()
            user.save()
            user.groups.add(sales)
            self.by_key[key] = user
            created.append(user)
        self.to_create = {}
        return created


def parse_row(
    line: int, cells: dict[str, str], options: Options, people: People, errors: list[RowError]
):
    values, problems = {}, []
    mapping = options.mapping

    def fail(name, value, message):
        problems.append(RowError(line, mapping.get(name, name), value, message))

    for name, raw in mapped_cells(line, cells, mapping, TEXT_LIMITS, problems):
        try:
            if name == "stage":
                key = raw.casefold()
                stage = options.stage_map.get(key) or STAGE_NAMES.get(key)
                if stage is None:
                    raise ValueError("is not a stage: map it to one (NAME = STAGE)")
                values["stage"] = stage
            elif name == "amount":
                values["amount"] = parse_amount(raw)
            elif name == "owner":
                values["owner"] = people.find(raw)
            elif name in ("created_at", "close_date"):
                moment = parse_date(raw, dayfirst=options.dayfirst)
                values[name] = moment if name == "created_at" else timezone.localdate(moment)
            elif name == "type":
                if raw.casefold() not in TYPE_NAMES:
                    raise ValueError("is not a type (new business, upsell or renewal)")
                values["type"] = TYPE_NAMES[raw.casefold()]
            elif name == "lost_reason":
                values["lost_reason"] = LOST_NAMES.get(raw.casefold(), Opportunity.LostReason.OTHER)
                if values["lost_reason"] == Opportunity.LostReason.OTHER:
                    values["lost_detail"] = raw[:2000]
            else:
                values[name] = raw
        except ValueError as e:
            fail(name, raw[:200], str(e))
    if not problems:
        for name in REQUIRED:
            if not values.get(name):
                problems.append(RowError(line, mapping.get(name, name), "", f"needs {name}"))
    if not problems:
        _check_dates(line, values, mapping, problems)
    if problems:
        errors.extend(problems)
        return None
    values.setdefault("amount", Decimal("0.00"))
    if not values.get("name"):
        product = values.get("product")
        values["name"] = f"{values['account']} — {product}"[:200] if product else values["account"]
    return _Parsed(line, values)


def _check_dates(line, values, mapping, problems) -> None:
    today = timezone.localdate()
    created = values.get("created_at")
    if created and created > timezone.now():
        problems.append(RowError(line, mapping["created_at"], "", "is in the future"))
    close = values.get("close_date")
    closed = values["stage"] in Opportunity.CLOSED_STAGES
    if close is None:
        message = (
            "needs a close date: the day the deal was won or lost"
            if closed
            else ("needs an expected close date")
        )
        problems.append(RowError(line, mapping.get("close_date", "close_date"), "", message))
    elif closed and close > today:
        problems.append(
            RowError(line, mapping["close_date"], str(close), "is in the future for a closed deal")
        )
    elif created and close < timezone.localdate(created):
        problems.append(
            RowError(line, mapping["close_date"], str(close), "is before the created date")
        )


# --- The import ---------------------------------------------------------------------------


def check_mapping(header: list[str], mapping: dict[str, str]) -> None:
    unknown = sorted(set(mapping.values()) - set(header))
    if unknown:
        raise FileProblem(f"The mapping names columns the file does not have: {', '.join(unknown)}")
    missing = [FIELDS[name][0] for name in (*REQUIRED, "close_date") if name not in mapping]
    if missing:
        raise FileProblem(f"Map a column to each of: {', '.join(missing)}.")


def run(
    text: str, options: Options, *, progress: Callable[[int, Result], None] | None = None
) -> Result:
    """Import the CSV `text`. `progress(rows_done, result)` is called after every batch."""
    header, rows = read(text)
    check_mapping(header, options.mapping)
    options.stage_map = {k.strip().casefold(): v for k, v in options.stage_map.items()}
    bad = sorted(set(options.stage_map.values()) - set(Stage.values))
    if bad:
        raise FileProblem(f"--stage-map names stages Handoff does not have: {', '.join(bad)}.")
    result, seen, batch = Result(), {}, []
    people = People(create=options.create_users)
    for line, cells in enumerate(rows, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        result.rows += 1
        parsed = parse_row(
            line, dict(zip(header, cells, strict=False)), options, people, result.errors
        )
        if parsed is None:
            continue
        external_id = parsed.values["external_id"]
        if external_id in seen:
            result.errors.append(
                RowError(
                    line,
                    options.mapping["external_id"],
                    external_id,
                    f"repeats the deal on row {seen[external_id]}",
                )
            )
            continue
        seen[external_id] = line
        batch.append(parsed)
        if len(batch) >= BATCH:
            _write(batch, options, people, result)
            batch = []
            if progress:
                progress(result.rows, result)
    if batch:
        _write(batch, options, people, result)
    if progress:
        progress(result.rows, result)
    return result


def _accounts(names: dict[str, str], by) -> dict[str, Account]:
    """Account per lower-cased name (`names`: lower-cased → as the file wrote it first),
    creating the missing ones in one insert."""
    found = {
        a.name_lower: a
        for a in Account.objects.annotate(name_lower=Lower("name")).filter(
            name_lower__in=list(names)
        )
    }
    new = {}
    for key, name in names.items():
        if key not in found:
            new[key] = Account(name=name, owner=by)
    if new:
        Account.objects.bulk_create(new.values())
        for account in Account.objects.annotate(name_lower=Lower("name")).filter(
            name_lower__in=list(new)
        ):
            found[account.name_lower] = account
    return found


def _write(batch: list[_Parsed], options: Options, people: People, result: Result) -> None:
    with transaction.atomic():
        # Another import may be adding the same deals, accounts or reps right now: look them up
        # and create the missing ones under one lock, or both would create them.
        hold_lock(LOCK)
        people.create_pending()
        for parsed in batch:
            owner = parsed.values["owner"]
            if isinstance(owner, str):
                parsed.values["owner"] = people.by_key[owner]
        existing = {
            o.external_id: o
            for o in Opportunity.objects.filter(
                external_id__in=[p.values["external_id"] for p in batch]
            )
        }
        lead_ids = {p.values["lead_external_id"] for p in batch if p.values.get("lead_external_id")}
        leads = (
            {
                lead.external_id: lead
                for lead in Lead.objects.filter(external_id__in=lead_ids).select_related(
                    "opportunity"
                )
            }
            if lead_ids
            else {}
        )
        fresh, updates, linked_leads = [], [], {}
        for parsed in batch:
            values = parsed.values
            deal = existing.get(values["external_id"])
            lead_ref = values.get("lead_external_id")
            lead = leads.get(lead_ref) if lead_ref else None
            if lead_ref and lead is None:
                result.errors.append(
                    RowError(
                        parsed.line,
                        options.mapping["lead_external_id"],
                        lead_ref,
                        "is not the external id of a lead",
                    )
                )
                continue
            if lead is not None:
                other = getattr(lead, "opportunity", None)
                taken_in_file = linked_leads.get(lead.pk)
                if (other and (deal is None or other.pk != deal.pk)) or taken_in_file:
                    result.errors.append(
                        RowError(
                            parsed.line,
                            options.mapping["lead_external_id"],
                            lead_ref,
                            "is already linked to another deal",
                        )
                    )
                    continue
                linked_leads[lead.pk] = parsed
            if deal is None:
                fresh.append((parsed, lead))
            elif options.on_duplicate == "skip":
                result.skipped += 1
            else:
                updates.append((parsed, deal))
        if options.dry_run:
            result.created += len(fresh)
            result.updated += len(updates)
            transaction.set_rollback(True)
            return
        names = {}
        for parsed, _ in fresh:
            names.setdefault(parsed.values["account"].casefold(), parsed.values["account"])
        accounts = _accounts(names, options.by)
        _insert(fresh, accounts, options, result)
        _update(updates, options, result)


def _insert(fresh, accounts, options: Options, result: Result) -> None:
    if not fresh:
        return
    now = timezone.now()
    deals, changes, transitions, lead_updates = [], [], [], []
    for (parsed, lead), pk in zip(fresh, allocate_pks(Opportunity, len(fresh)), strict=True):
        v = parsed.values
        stage = v["stage"]
        created = v.get("created_at") or now
        closed = stage in Opportunity.CLOSED_STAGES
        close_date = v["close_date"]
        # A closed deal closed at noon of its close date, local time.
        closed_at = timezone.make_aware(dt.datetime.combine(close_date, dt.time(12)))
        closed_at = max(closed_at, created)
        deal = Row(
            pk=pk,
            account=accounts[v["account"].casefold()],
            lead=lead,
            name=v["name"],
            owner=v["owner"],
            stage=stage,
            probability=Opportunity.DEFAULT_PROBABILITY[stage] if closed else None,
            amount=v["amount"],
            expected_close_date=close_date,
            closed_date=close_date if closed else None,
            lost_reason=(v.get("lost_reason") or Opportunity.LostReason.OTHER)
            if stage == Stage.LOST
            else "",
            lost_detail=v.get("lost_detail", "Imported without a reason.")
            if stage == Stage.LOST and not v.get("lost_reason")
            else v.get("lost_detail", ""),
            type=v.get("type") or Opportunity.Type.NEW_BUSINESS,
            product=v.get("product", ""),
            external_id=v["external_id"],
            stage_changed_at=closed_at if closed else created,
            created_at=created,
            updated_at=now,
        )
        deal.explicit_type = bool(v.get("type"))
        deals.append(deal)
        first = Stage.DISCOVERY if closed else stage
        changes.append(
            Row(
                opportunity=deal,
                from_stage="",
                to_stage=first,
                from_amount=None,
                to_amount=deal.amount,
                actor=options.by,
                at=created,
                note="Imported.",
            )
        )
        if closed:
            changes.append(
                Row(
                    opportunity=deal,
                    from_stage=first,
                    to_stage=stage,
                    from_amount=deal.amount,
                    to_amount=deal.amount,
                    actor=options.by,
                    at=closed_at,
                    note="Imported.",
                )
            )
        if lead is not None:
            lead_updates.append((lead, deal, created))
    _fill_probabilities(deals)
    bulk_insert(Opportunity, deals)
    for change, change_pk in zip(
        changes, allocate_pks(OpportunityStageChange, len(changes)), strict=True
    ):
        change.pk = change_pk
    bulk_insert(OpportunityStageChange, changes)
    for lead, deal, created in lead_updates:
        _link_lead(lead, deal, created, options, transitions)
    if transitions:
        LeadTransition.objects.bulk_create(transitions)
    _type_and_customers(deals)
    result.created += len(deals)


def _fill_probabilities(deals) -> None:
    from leads.models import StageProbability

    table = StageProbability.table()
    for deal in deals:
        if deal.probability is None:
            deal.probability = table[deal.stage]


def _link_lead(lead: Lead, deal: Row, created, options: Options, transitions: list) -> None:
    """The deal came from this lead: it is converted (with a trace, if it was not already)."""
    fields = {"account_id": deal.account.pk}
    if lead.converted_at is None:
        fields["converted_at"] = created
    if lead.stage != Lead.Stage.CONVERTED:
        transitions.append(
            LeadTransition(
                lead=lead,
                from_stage=lead.stage,
                to_stage=Lead.Stage.CONVERTED,
                actor=options.by,
                at=created,
                reason="",
                detail=f"Imported with deal {deal.name}.",
            )
        )
        fields |= {"stage": Lead.Stage.CONVERTED, "stage_changed_at": created}
    if deal.stage in Opportunity.CLOSED_STAGES:
        fields["closed_at"] = deal.stage_changed_at
    Lead.objects.filter(pk=lead.pk).update(**fields)


def _type_and_customers(deals) -> None:
    """Deals without a type in the file are upsells when their account had already won a deal
    before them; accounts become customers from their first won deal. Two updates in SQL."""
    pks = [deal.pk for deal in deals if not deal.explicit_type]
    earlier_win = Opportunity.objects.won().filter(
        account=OuterRef("account"), closed_date__lt=OuterRef("created_day")
    )
    if pks:
        upsells = list(
            Opportunity.objects.filter(pk__in=pks)
            .annotate(created_day=TruncDate("created_at"))
            .filter(Exists(earlier_win))
            .values_list("pk", flat=True)
        )
        Opportunity.objects.filter(pk__in=upsells).update(
            type=Opportunity.Type.UPSELL, version=F("version") + 1
        )
    account_ids = {deal.account.pk for deal in deals if deal.stage == Stage.WON}
    if account_ids:
        firsts = (
            Opportunity.objects.won()
            .filter(account_id__in=account_ids)
            .values("account_id")
            .annotate(first=Min("closed_date"))
        )
        for row in firsts:
            Account.objects.filter(pk=row["account_id"]).filter(
                Q(customer_since__isnull=True) | Q(customer_since__gt=row["first"])
            ).update(customer_since=row["first"])


def _update(updates, options: Options, result: Result) -> None:
    """Known deals: their name, product, owner and close date follow the file; an amount change
    is recorded. A stage that differs is reported, not applied: move deals in the app."""
    for parsed, deal in updates:
        v = parsed.values
        if v["stage"] != deal.stage:
            result.errors.append(
                RowError(
                    parsed.line,
                    options.mapping["stage"],
                    v["stage"],
                    f"differs from the deal's stage ({deal.stage}); move it in the app",
                )
            )
            continue
        changes = {
            name: v[name]
            for name in ("name", "product", "owner", "amount")
            if name in v and getattr(deal, name) != v[name]
        }
        if deal.is_open and v["close_date"] != deal.expected_close_date:
            changes["expected_close_date"] = v["close_date"]
        if not changes:
            result.skipped += 1
            continue
        from_amount = deal.amount
        for name, value in changes.items():
            setattr(deal, name, value)
        deal.save(update_fields=[*changes, "updated_at"])
        if "amount" in changes:
            deal.record_change(
                by=options.by, from_stage=deal.stage, from_amount=from_amount, note="Imported."
            )
        result.updated += 1
