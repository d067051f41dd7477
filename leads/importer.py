"""Importing leads from CSV: one importer behind both the browser and `manage.py import_leads`.

Real exports are messy, so every row is parsed and checked completely before anything is
written: a row with a problem is reported (row, column, value, message) and left out whole, the
others are written in batches. New leads go in through the fast bulk path; known leads (same
e-mail, else same external id) are updated or skipped, as asked.
"""

import copy
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Channel
from crm.csvexport import safe_cell
from crm.db import (
    Row,
    allocate_pks,
    bulk_insert,
    bulk_update_rows,
    deferred_checkpoints,
    hold_lock,
    one_of,
)
from crm.validators import PHONE
from leads import assignment, scoring, search
from leads.models import CompanySize, Lead, LeadTransition

BATCH = 5000
MAX_BYTES = 50 * 1024 * 1024

# What a column can be mapped to, with the header names (and synonyms) that suggest it.
FIELDS = {
    "first_name": ("First name", ["first name", "firstname", "first", "given name", "forename"]),
    "last_name": ("Last name", ["last name", "lastname", "surname", "family name", "last"]),
    "full_name": ("Full name (split in two)", ["name", "full name", "contact name", "contact"]),
    "email": (
        "E-mail",
        ["email", "e mail", "email address", "e mail address", "mail", "work email"],
    ),
    "phone": ("Phone", ["phone", "telephone", "phone number", "mobile", "tel", "cell"]),
    "company": (
        "Company",
        ["company", "company name", "organisation", "organization", "account", "account name"],
    ),
    "job_title": ("Job title", ["job title", "title", "position", "role", "job"]),
    "industry": ("Industry", ["industry", "sector", "vertical"]),
    "company_size": (
        "Company size",
        ["company size", "size", "employees", "headcount", "number of employees"],
    ),
    "country": ("Country", ["country", "country name", "nation"]),
    "external_id": (
        "External id",
        ["external id", "id", "lead id", "record id", "crm id", "contact id"],
    ),
    "channel": ("Source / channel", ["source", "lead source", "channel", "utm source"]),
    "created_at": (
        "Created date",
        ["created", "created at", "created date", "date created", "created on", "signup date"],
    ),
}
# The lead fields a file can fill in (a new lead gets "" for those its row lacks).
CONTACT_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "job_title",
    "industry",
    "company_size",
    "country",
    "external_id",
    "channel",
    "source_detail",
]
# What an import may change on a lead it already knows.
UPDATABLE = [*CONTACT_FIELDS, "score", "updated_at"]
TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "phone": 40,
    "company": 200,
    "job_title": 200,
    "industry": 100,
    "country": 100,
    "external_id": 100,
}


@dataclass
class Options:
    mapping: dict[str, str]  # lead field → CSV column
    campaign: Campaign | None = None
    channel_map: dict[str, str] = field(default_factory=dict)  # source (any case) → channel
    dayfirst: bool = True
    on_duplicate: str = "update"  # or "skip"
    dry_run: bool = False


@dataclass
class RowError:
    row: int  # the line in the file; the header is row 1
    column: str
    value: str
    message: str


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    promoted: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def error_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["row", "column", "value", "message"])
        for e in self.errors:
            # The value is the file's own cell: a formula in it stays text in a spreadsheet.
            writer.writerow([e.row, safe_cell(e.column), safe_cell(e.value), e.message])
        return out.getvalue()


class FileProblem(Exception):
    """The file as a whole cannot be read as CSV; the message says why."""


# --- Reading ------------------------------------------------------------------------------------


def decode(raw: bytes) -> str:
    if not raw.strip():
        raise FileProblem("The file is empty.")
    if len(raw) > MAX_BYTES:
        raise FileProblem(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if b"\x00" in raw[:8192]:
        raise FileProblem("This is not a CSV file (it contains binary data).")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FileProblem(
            f"The file is not UTF-8 text (byte {e.start + 1}); save it as CSV UTF-8 and retry."
        ) from e


def sniff_delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read(text: str) -> tuple[list[str], Iterable[list[str]]]:
    """The header and an iterator over the data rows."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error) as e:
        raise FileProblem("The file has no header row.") from e
    if not any(header):
        raise FileProblem("The first row should name the columns; it is empty.")
    if len(set(header)) != len(header):
        raise FileProblem("Two columns have the same name; rename one and retry.")
    return header, reader


def count_rows(text: str) -> int:
    _, rows = read(text)
    return sum(1 for row in rows if any(cell.strip() for cell in row))


def _normalise(name: str) -> str:
    return " ".join(re.sub(r"[_\-.]+", " ", name.casefold()).split())


def guess_mapping(header: list[str], fields: dict | None = None) -> dict[str, str]:
    """Field → column, from header names and their common synonyms (`fields`: the lead
    importer's by default)."""
    mapping = {}
    taken = set()
    for name, (_, synonyms) in (fields or FIELDS).items():
        for column in header:
            if column not in taken and _normalise(column) in synonyms:
                mapping[name] = column
                taken.add(column)
                break
    if "first_name" in mapping or "last_name" in mapping:
        mapping.pop("full_name", None)
    return mapping


def _eager(pattern):
    """A lazily compiled pattern of Django's, compiled now."""
    return re.compile(pattern.pattern, pattern.flags)


class _EmailCheck(EmailValidator):
    """Django's e-mail check with its patterns compiled up front: Django keeps them as lazy
    objects, and reaching them through the proxy was a fifth of the check over 100,000 rows."""

    user_regex = _eager(EmailValidator.user_regex)
    domain_regex = _eager(EmailValidator.domain_regex)
    literal_regex = _eager(EmailValidator.literal_regex)


validate_email = _EmailCheck()
# The shared phone check, its pattern compiled up front for the same reason.
validate_phone = copy.copy(PHONE)
validate_phone.regex = _eager(PHONE.regex)


# --- Parsing one value --------------------------------------------------------------------------

_DATE = re.compile(
    r"^(?P<a>\d{1,4})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{1,4})"
    r"(?:[T ](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<z>Z|[+-]\d{2}:?\d{2})?)?$"
)


def parse_date(text: str, *, dayfirst: bool, zone=None) -> dt.datetime:
    """ISO (2026-03-31), d/m/Y or m/d/Y (as `dayfirst` says, unless one part is over 12),
    d-m-Y, each with or without a time. A time without a zone is in `zone`, by default the
    server's (an import passes it once rather than looking it up a hundred thousand times)."""
    match = _DATE.match(text.strip())
    if not match:
        raise ValueError("is not a date (use 2026-03-31 or 31/03/2026)")
    a_text, b_text, c_text, h, mi, s, zone_text = match.group("a", "b", "c", "h", "mi", "s", "z")
    a, b, c = int(a_text), int(b_text), int(c_text)
    if len(a_text) == 4:
        year, month, day = a, b, c
    elif len(c_text) == 4:
        year = c
        if a > 12 >= b:
            day, month = a, b
        elif b > 12 >= a:
            month, day = a, b
        else:
            day, month = (a, b) if dayfirst else (b, a)
    else:
        raise ValueError("needs a four-digit year")
    try:
        naive = dt.datetime(year, month, day, int(h or 0), int(mi or 0), int(s or 0))
    except ValueError as e:
        raise ValueError(f"is not a real date ({e})") from e
    if zone_text:
        if zone_text == "Z":
            tz = dt.timezone.utc
        else:
            sign = -1 if zone_text[0] == "-" else 1
            hours, minutes = int(zone_text[1:3]), int(zone_text[-2:])
            tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
        return naive.replace(tzinfo=tz)
    return timezone.make_aware(naive, zone)


def _size_key(text: str) -> str:
    return text.strip().casefold().replace(",", "").replace("–", "-").replace(" ", "")


# Every spelling of a size we accept, and the headcount bands, computed once.
SIZE_NAMES = {
    _size_key(spelling): value
    for value, label in CompanySize.choices
    for spelling in (value, label)
}
SIZE_BANDS = [(10, "1-10"), (50, "11-50"), (200, "51-200"), (1000, "201-1000"), (5000, "1001-5000")]
SIZE_HELP = f"is not a company size ({', '.join(CompanySize.values)} or a headcount)"


def parse_company_size(text: str) -> str:
    key = _size_key(text)
    if key in SIZE_NAMES:
        return SIZE_NAMES[key]
    if key.isdecimal():
        employees = int(key)
        return next((value for upper, value in SIZE_BANDS if employees <= upper), "5001+")
    raise ValueError(SIZE_HELP)


def parse_channel(text: str, channel_map: dict[str, str]) -> tuple[str, str]:
    """(channel, original): unknown names become "other", keeping what the file said."""
    key = text.strip().casefold()
    if key in channel_map:
        return channel_map[key], ""
    if key in CHANNEL_NAMES:
        return CHANNEL_NAMES[key], ""
    return Channel.OTHER, text.strip()[:100]


CHANNEL_NAMES = {
    spelling: value for value, label in Channel.choices for spelling in (value, label.casefold())
}


# --- The import ---------------------------------------------------------------------------------


@dataclass
class _Parsed:
    line: int
    key: tuple[str, str]  # ("email", lower-cased address) or ("external_id", id)
    values: dict


def mapped_cells(line: int, cells: dict[str, str], mapping: dict, limits: dict, problems: list):
    """(field, text) for each mapped cell that is not blank. A cell longer than its field's
    limit, or holding a null byte, is reported in `problems` and left out."""
    for name, column in mapping.items():
        raw = (cells.get(column) or "").strip()
        if not raw:
            continue
        if name in limits and len(raw) > limits[name]:
            problems.append(
                RowError(line, column, raw[:50], f"is longer than {limits[name]} characters")
            )
        elif "\x00" in raw:
            problems.append(
                RowError(line, column, raw[:50].replace("\x00", ""), "contains a null character")
            )
        else:
            yield name, raw


# Fields whose text is taken as it is (after the length and null checks of `mapped_cells`).
PLAIN_FIELDS = frozenset(
    {"first_name", "last_name", "company", "job_title", "industry", "country", "external_id"}
)


def address_key(address: str) -> str:
    """What the spellings of one address share whatever their case: casefolded, with accents'
    combining marks dropped. Looser than any database's LOWER(), so a row never misses the lead
    the unique index holds for its address ("İlker" and "ilker" are one on PostgreSQL)."""
    if address.isascii():
        return address.lower()  # the same, a tenth of the time
    decomposed = unicodedata.normalize("NFKD", address.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parse_row(
    line: int,
    cells: dict[str, str],
    options: Options,
    errors: list[RowError],
    *,
    now=None,
    zone=None,
):
    """The row's lead values, or None with its problems added to `errors`. `now`: the
    import's start (a created date after it is refused), else read here; `zone`: the time
    zone of dates without one (the current one by default)."""
    values, problems = {}, []
    mapping = options.mapping

    def fail(name, value, message):
        problems.append(RowError(line, mapping.get(name, name), value, message))

    for name, raw in mapped_cells(line, cells, mapping, TEXT_LIMITS, problems):
        if name in PLAIN_FIELDS:
            values[name] = raw
            continue
        try:
            if name == "email":
                validate_email(raw)
                values["email"] = raw
            elif name == "phone":
                validate_phone(raw)
                values["phone"] = raw
            elif name == "company_size":
                values["company_size"] = parse_company_size(raw)
            elif name == "channel":
                values["channel"], values["source_detail"] = parse_channel(raw, options.channel_map)
            elif name == "created_at":
                created = parse_date(raw, dayfirst=options.dayfirst, zone=zone)
                if created > (now or timezone.now()):
                    raise ValueError("is in the future")
                values["created_at"] = created
            elif name == "full_name":
                first, _, last = raw.partition(" ")
                values.setdefault("first_name", first[:100])
                values.setdefault("last_name", last.strip()[:100])
            else:
                values[name] = raw
        except ValidationError as e:
            fail(name, raw[:200], e.messages[0])
        except ValueError as e:
            fail(name, raw[:200], str(e))
    if not problems:
        if values.get("email"):
            key = ("email", address_key(values["email"]))
        elif values.get("external_id"):
            key = ("external_id", values["external_id"])
        else:
            problems.append(RowError(line, "", "", "needs an e-mail or an external id"))
        if not problems and not values.get("first_name"):
            problems.append(
                RowError(line, mapping.get("first_name", "first_name"), "", "needs a first name")
            )
    if problems:
        errors.extend(problems)
        return None
    if options.campaign and "channel" not in values:
        values["channel"] = options.campaign.channel
    return _Parsed(line, key, values)


def run(
    text: str,
    options: Options,
    *,
    progress: Callable[[int, Result], None] | None = None,
) -> Result:
    """Import the CSV `text`. `progress(rows_done, result)` is called after every batch."""
    header, rows = read(text)
    unknown = sorted(set(options.mapping.values()) - set(header))
    if unknown:
        raise FileProblem(f"The mapping names columns the file does not have: {', '.join(unknown)}")
    if not set(options.mapping) & {"email", "external_id"}:
        raise FileProblem("Map a column to E-mail or to External id: leads are matched on them.")
    if not set(options.mapping) & {"first_name", "full_name"}:
        raise FileProblem("Map a column to First name (or Full name).")
    options.channel_map = {k.strip().casefold(): v for k, v in options.channel_map.items()}
    result = Result()
    rules = scoring.active_rules()
    # The reps' new MQLs from every committed batch, mailed once when the import ends (or
    # stops): one e-mail per rep for the file, not one per batch. Both steps wait for the
    # commit, so a caller's own transaction still decides.
    digest = assignment.Digest()
    try:
        with deferred_checkpoints():
            _import(header, rows, options, rules, result, digest, progress)
    finally:
        transaction.on_commit(digest.send)
    if progress:
        progress(result.rows, result)
    return result


def _import(header, rows, options: Options, rules, result: Result, digest, progress) -> None:
    """Parse every row, write the good ones batch by batch (each batch one transaction)."""
    seen, batch = set(), []
    now, zone = timezone.now(), timezone.get_current_timezone()
    for line, cells in enumerate(rows, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        result.rows += 1
        parsed = parse_row(
            line, dict(zip(header, cells, strict=False)), options, result.errors, now=now, zone=zone
        )
        if parsed is None:
            continue
        if parsed.key in seen and options.on_duplicate == "skip":
            result.skipped += 1  # a repeat within the file
            continue
        seen.add(parsed.key)
        batch.append(parsed)
        if len(batch) >= BATCH:
            _write(batch, options, rules, result, digest)
            batch = []
            if progress:
                progress(result.rows, result)
    if batch:
        _write(batch, options, rules, result, digest)
    if result.created and not options.dry_run:
        search.tidy()


def _write(batch: list[_Parsed], options: Options, rules, result: Result, digest) -> None:
    from leads.services import NEW_LEADS_LOCK, Promotion, leads_promote_qualified

    with transaction.atomic():
        # Another import or a form may be adding the same addresses right now: look them up and
        # insert the missing ones under one lock, or both would insert them.
        hold_lock(NEW_LEADS_LOCK)
        emails = [p.values["email"] for p in batch if p.key[0] == "email"]
        # External ids: the key of a row without an e-mail, and for any row an id that another
        # lead may hold already.
        ids = {p.values["external_id"] for p in batch if p.values.get("external_id")}
        existing, found, holders = {}, {}, {}
        if emails:
            for lead in Lead.objects.with_emails(emails).order_by():
                found[lead.pk] = lead
                existing[("email", address_key(lead.email))] = lead
        if ids:
            by_id = Lead.objects.filter(external_id__in=one_of(ids)).exclude(external_id="")
            for lead in by_id.order_by():
                lead = found.setdefault(lead.pk, lead)  # one object per lead
                existing[("external_id", lead.external_id)] = lead
                holders[lead.external_id] = ("lead", lead.pk)
        now = timezone.now()
        # A new lead: the file's values over these (a contact field the file lacks is blank).
        blank = {
            **dict.fromkeys(CONTACT_FIELDS, ""),
            "stage": Lead.Stage.NEW,
            "campaign_id": options.campaign.pk if options.campaign else None,
            "owner_id": None,
            "submission_count": 0,
            "score": 0,
            "recycle_count": 0,
            "created_at": now,
        }
        new_rows, changed, in_batch = [], {}, {}
        for parsed in batch:
            lead = existing.get(parsed.key) or in_batch.get(parsed.key)
            external_id = parsed.values.get("external_id")
            if external_id:
                who = ("lead", lead.pk) if isinstance(lead, Lead) else ("row", parsed.key)
                if holders.get(external_id, who) != who:
                    result.errors.append(
                        RowError(
                            parsed.line,
                            options.mapping["external_id"],
                            external_id,
                            "is already the external id of another lead",
                        )
                    )
                    continue
            if lead is None:
                row = Row(**{**blank, **parsed.values})
                row.stage_changed_at = row.created_at
                new_rows.append(row)
                in_batch[parsed.key] = row
                result.created += 1
                if external_id:
                    holders[external_id] = who
            elif options.on_duplicate == "skip":
                result.skipped += 1
            else:
                updates = {
                    name: value
                    for name, value in parsed.values.items()
                    if name != "created_at" and getattr(lead, name) != value
                }
                if not updates:
                    result.skipped += 1  # nothing new in the row
                    continue
                for name, value in updates.items():
                    setattr(lead, name, value)
                if "external_id" in updates:
                    holders[external_id] = who
                if isinstance(lead, Lead):
                    changed[lead.pk] = lead
                result.updated += 1
        if options.dry_run:
            transaction.set_rollback(True)
            return
        score = scoring.scorer(rules)
        for row, pk in zip(new_rows, allocate_pks(Lead, len(new_rows)), strict=True):
            row.pk = pk
            row.score = score(row)  # after any later row in the file updated it
        # A new lead that qualifies goes in as an MQL (with its owner, when the SLA assigns in
        # turn) rather than as a new lead promoted by a second pass over the same rows.
        promotion = Promotion.in_force(rules) if new_rows else None
        promoted = []
        if promotion:
            promoted = [row for row in new_rows if promotion.sla.check_lead(row).met]
            owners = promotion.owners(promoted)
            for row in promoted:
                row.__dict__.update(promotion.fields)
                row.owner_id = owners.get(row.pk)
        bulk_insert(Lead, new_rows)
        if promoted:
            LeadTransition.objects.insert_rows([promotion.transition(row, Row) for row in promoted])
            owned = [row for row in promoted if row.owner_id]
            transaction.on_commit(
                lambda: digest.add(
                    [
                        tuple(getattr(row, name) for name in assignment.DIGEST_FIELDS)
                        for row in owned
                    ]
                )
            )
            result.promoted += len(promoted)
        if changed:
            for lead in changed.values():
                lead.score = score(lead)
                lead.updated_at = now
            bulk_update_rows(Lead, list(changed.values()), UPDATABLE)
            result.promoted += leads_promote_qualified(lead_ids=list(changed), rules=rules)
