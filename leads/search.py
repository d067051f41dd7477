"""Searching leads by name, e-mail or company, fast over a million of them, on both engines.

A search finds the leads where every word typed appears, in any case, somewhere in the lead's
first name, last name, e-mail or company ("smi acme" finds Jo Smith of Acme Ltd). Scanning a
million rows with `LIKE '%smi%'` takes half a second or more, so each engine answers from an
index of the words' three-letter pieces (trigrams), created by migration 0022:

- PostgreSQL: a `pg_trgm` GIN index over `UPPER(first_name || ' ' || last_name || ' ' ||
  email || ' ' || company)`; the filter below writes that very expression, so the planner
  can use the index.
- SQLite: an FTS5 table with the trigram tokenizer (`leads_lead_search`), kept current by
  triggers on the lead table; the filter asks it for the matching lead ids.

A word shorter than three letters has no trigram: it is checked row by row on what the longer
words found (or, when every word is that short, on the whole table — slow, and rare).
"""

from django.db import connection, connections
from django.db.models import F, Func, Q, QuerySet, TextField
from django.db.models.expressions import RawSQL

SEARCHED = ("first_name", "last_name", "email", "company")
TRIGRAM = 3


class SearchDocument(Func):
    """UPPER(first_name || ' ' || last_name || ' ' || email || ' ' || company): the expression
    PostgreSQL's trigram index is built on (written identically, or the index goes unused)."""

    template = "UPPER(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = TextField()

    def __init__(self, prefix: str = ""):
        super().__init__(*(F(prefix + name) for name in SEARCHED))


def words_of(text: str) -> list[str]:
    return [word for word in text.split() if word]


def _fts_phrase(word: str) -> str:
    # A double-quoted FTS5 string matches its characters literally (quotes are doubled).
    return '"' + word.replace('"', '""') + '"'


def _anywhere(word: str, prefix: str) -> Q:
    condition = Q()
    for name in SEARCHED:
        condition |= Q(**{f"{prefix}{name}__icontains": word})
    return condition


def matching(queryset: QuerySet, text: str, *, lead: str = "") -> QuerySet:
    """`queryset` narrowed to rows whose lead matches every word of `text`. `lead` is the path
    from the queryset's model to the lead ("" for leads themselves, "lead__" for a lead's
    transitions)."""
    words = words_of(text)
    if not words:
        return queryset
    indexed = [word for word in words if len(word) >= TRIGRAM]
    short = [word for word in words if len(word) < TRIGRAM]
    vendor = connections[queryset.db].vendor
    if indexed and vendor == "postgresql":
        if "search_document" not in queryset.query.annotations:
            queryset = queryset.alias(search_document=SearchDocument(lead))
        for word in indexed:
            # `UPPER(…) LIKE '%WORD%'`: the form the trigram index answers.
            queryset = queryset.filter(search_document__contains=word.upper())
    elif indexed and vendor == "sqlite":
        query = " AND ".join(_fts_phrase(word) for word in indexed)
        ids = RawSQL(
            "SELECT rowid FROM leads_lead_search WHERE leads_lead_search MATCH %s", (query,)
        )
        queryset = queryset.filter(**{f"{lead}id__in": ids})
    else:
        short = words
    for word in short:
        queryset = queryset.filter(_anywhere(word, lead))
    return queryset


# Pages of merge work after a bulk write: bounded (a few tenths of a second), so the index's
# segments stay few without a job of their own.
MERGE_PAGES = 500


def tidy() -> None:
    """After an import: let SQLite's search index merge the segments the writes left
    (PostgreSQL's GIN index folds its pending entries in by itself)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO leads_lead_search(leads_lead_search, rank) VALUES ('merge', %s)",
                [MERGE_PAGES],
            )
