"""Searching leads by name, e-mail or company, fast over a million of them, on both engines.

A search finds the leads where every word typed appears, in any case, somewhere in the lead's
first name, last name, e-mail or company ("smi acme" finds Jo Smith of Acme Ltd). Scanning a
million rows with `LIKE '%smi%'` takes half a second or more, so each engine answers from an
index of the words' three-letter pieces (trigrams), created by migration 0022:

- PostgreSQL: a `pg_trgm` GIN index over `UPPER(first_name || ' ' || last_name || ' ' ||
  email || ' ' || company)`; the filter below writes that very expression, so the planner
  can use the index.
- SQLite: an FTS5 table with the trigram tokenizer (`leads_lead_search`), kept current by
  triggers on the lead table. It keeps which rows hold each trigram, not where in them
  (`detail=none`, migration 0034: a fifth of the size, and an import's rows indexed in a
  third of the time), so it answers "which leads hold every trigram of the words" and the
  filter then checks, on those leads only, that each word appears whole.

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


# SQLite's Python-written lower(), registered on every connection (add_sqlite_functions).
LOWER_FUNCTION = "handoff_lower"


class LoweredDocument(SearchDocument):
    """SQLite: the four fields joined as SearchDocument joins them, lower-cased by Python
    (`handoff_lower`): SQLite's own LOWER() and LIKE fold ASCII letters only, while the trigram
    index folds every letter ("CAFÉ" finds "café")."""

    template = f"{LOWER_FUNCTION}(%(expressions)s)"


def _lower(text):
    return None if text is None else text.lower()


def add_sqlite_functions(sender, connection, **kwargs) -> None:
    """Give every new SQLite connection `handoff_lower` (connected in LeadsConfig.ready)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(LOWER_FUNCTION, 1, _lower, deterministic=True)


def trigrams(word: str) -> list[str]:
    """The word's three-letter pieces, in order."""
    return [word[i : i + TRIGRAM] for i in range(len(word) - TRIGRAM + 1)]


def words_of(text: str) -> list[str]:
    return [word for word in text.split() if word]


def _fts_string(text: str) -> str:
    # A double-quoted FTS5 string matches its characters literally (quotes are doubled).
    return '"' + text.replace('"', '""') + '"'


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
        # The leads holding every trigram of every word (in any order, in any of the fields),
        # then those where each word appears whole. (Each piece once: dict.fromkeys.)
        pieces = dict.fromkeys(piece for word in indexed for piece in trigrams(word))
        query = " AND ".join(_fts_string(piece) for piece in pieces)
        ids = RawSQL(
            "SELECT rowid FROM leads_lead_search WHERE leads_lead_search MATCH %s", (query,)
        )
        queryset = queryset.filter(**{f"{lead}id__in": ids})
        if "search_lowered" not in queryset.query.annotations:
            queryset = queryset.alias(search_lowered=LoweredDocument(lead))
        for word in indexed:
            queryset = queryset.filter(search_lowered__contains=word.lower())
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
