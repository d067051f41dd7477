"""Lead scoring: the same rules evaluated two ways that must agree — in Python for one lead
(capture, edit, import: with the breakdown of which rules matched) and as one SQL expression for
rescoring every lead in bulk after a rule changes."""

from django.db.models import Case, IntegerField, Q, Value, When

from crm.db import Compiled
from leads.models import CompanySize, ScoringRule

Field = ScoringRule.Field
Condition = ScoringRule.Condition
SIZE_ORDER = list(CompanySize.values)  # smallest to largest


_ACTIVE_RULES = Compiled(lambda: ScoringRule.objects.filter(is_active=True).order_by("pk"))


def active_rules() -> list[ScoringRule]:
    return _ACTIVE_RULES()


def rule_values(rule: ScoringRule) -> list[str]:
    """The rule's value(s), trimmed and case-folded; a list rule splits on commas."""
    raw = rule.value.split(",") if rule.condition == Condition.IN_LIST else [rule.value]
    return [part.strip().casefold() for part in raw if part.strip()]


def _sizes_at_least(size: str) -> list[str]:
    return SIZE_ORDER[SIZE_ORDER.index(size) :] if size in SIZE_ORDER else []


def matches(rule: ScoringRule, lead) -> bool:
    return _predicate(rule)(lead)


def _predicate(rule: ScoringRule):
    """The rule as a function of a lead, built once per rule object (an import asks fourteen
    rules about each of a hundred thousand leads)."""
    key = (rule.field, rule.condition, rule.value)
    cached = rule.__dict__.get("_predicate")
    if cached is not None and cached[0] == key:
        return cached[1]
    values = rule_values(rule)
    name = rule.field
    if name == Field.SUBMISSIONS:
        numbers = [int(v) for v in values]
        if rule.condition == Condition.AT_LEAST:
            least = numbers[0]
            test = lambda lead: int(getattr(lead, name, 0) or 0) >= least  # noqa: E731
        else:
            allowed = set(numbers)
            test = lambda lead: int(getattr(lead, name, 0) or 0) in allowed  # noqa: E731
    elif name == Field.COMPANY_SIZE and rule.condition == Condition.AT_LEAST:
        sizes = set(_sizes_at_least(values[0]))
        test = lambda lead: bool(getattr(lead, name, "")) and getattr(lead, name) in sizes  # noqa: E731
    elif rule.condition == Condition.CONTAINS:
        part = values[0]
        test = lambda lead: part in (getattr(lead, name, "") or "").casefold()  # noqa: E731
    else:  # equals, or one of
        allowed = set(values)
        test = lambda lead: (getattr(lead, name, "") or "").casefold() in allowed  # noqa: E731
    rule.__dict__["_predicate"] = (key, test)
    return test


def condition(rule: ScoringRule) -> Q:
    """The SQL twin of `matches`."""
    values = rule_values(rule)
    name = rule.field
    if name == Field.SUBMISSIONS:
        numbers = [int(v) for v in values]
        if rule.condition == Condition.AT_LEAST:
            return Q(submission_count__gte=numbers[0])
        return Q(submission_count__in=numbers)
    if name == Field.COMPANY_SIZE and rule.condition == Condition.AT_LEAST:
        return Q(company_size__in=_sizes_at_least(values[0]))
    if rule.condition == Condition.CONTAINS:
        return Q(**{f"{name}__icontains": values[0]}) & ~Q(**{name: ""})
    either = Q()
    for value in values:
        either |= Q(**{f"{name}__iexact": value})
    return either


def score_expression(rules: list[ScoringRule]):
    """SUM(CASE WHEN rule THEN points ELSE 0 END) over the rules, for one bulk UPDATE."""
    total = Value(0, output_field=IntegerField())
    for rule in rules:
        total = total + Case(
            When(condition(rule), then=Value(rule.points)),
            default=Value(0),
            output_field=IntegerField(),
        )
    return total


def breakdown(lead, rules: list[ScoringRule]) -> list[tuple[ScoringRule, int]]:
    return [(rule, rule.points) for rule in rules if matches(rule, lead)]


def score(lead, rules: list[ScoringRule]) -> int:
    return sum(points for _, points in breakdown(lead, rules))


def scorer(rules: list[ScoringRule]):
    """`score` for many leads under the same rules: each rule's predicate looked up once."""
    tests = [(_predicate(rule), rule.points) for rule in rules]
    return lambda lead: sum(points for test, points in tests if test(lead))


def trace(lead, rules: list[ScoringRule]) -> list[dict]:
    """The matched rules as the transition log keeps them (they may change later)."""
    return tracer(rules)(lead)


def tracer(rules: list[ScoringRule]):
    """`trace` for many leads under the same rules: each rule's predicate and text worked out
    once (an import traces every lead it promotes; a rule's text takes two choice lookups)."""
    tests = [(_predicate(rule), str(rule), rule.points) for rule in rules]
    return lambda lead: [
        {"rule": label, "points": points} for test, label, points in tests if test(lead)
    ]
