from django.core.validators import RegexValidator

PHONE = RegexValidator(
    r"^\+?[0-9][0-9 ()./-]{4,28}[0-9]$",
    "Enter a phone number with digits, spaces and + ( ) - . only, e.g. +44 20 7946 0958.",
)
