from django.core.validators import RegexValidator

PHONE = RegexValidator(
    r"^\+?[0-9][0-9 ()./-]{4,28}[0-9]$",
    "Enter a phone number with digits, spaces and + ( ) - . only, e.g. +44 20 7946 0958.",
)

# The largest key a 64-bit key column holds.
MAX_ID = 2**63 - 1


def as_id(text: str) -> int | None:
    """`text` as a record's id, or None when it is not one: a decimal number a key column can
    hold ("²" is a digit to str.isdigit() but no number to int(), and a number past 64 bits
    would overflow the query)."""
    text = text.strip()
    if not text.isdecimal() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
