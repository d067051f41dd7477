"""The `figure` filter writes a metric as Django's `floatformat` and `intcomma` wrote it (the
reference here), without their cost."""

from decimal import Decimal

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat

from crm.templatetags.handoff import figure
from reports.metrics import Figure

MONEY = [
    "0",
    "-0.001",
    "0.005",
    "0.05",
    "12",
    "999.995",
    "1234.5",
    "-250.125",
    "1000000",
    "98765432.10",
]
RATIOS = ["0", "2", "1.5", "0.125", "0.12345", "0.00049", "-0.00049", "-0.5", "12.3456", "-1"]
COUNTS = [0, 7, 999, 1000, 1234567, -4200]


def _figure(value, kind):
    return figure(Figure("key", "Label", value, kind, "formula"))


@pytest.mark.parametrize("value", [Decimal(v) for v in MONEY])
def test_money_is_written_as_floatformat_wrote_it(value):
    assert _figure(value, "money") == floatformat(value, "2g")


@pytest.mark.parametrize("value", [Decimal(v) for v in RATIOS] + [0.5, 1 / 3])
def test_a_ratio_is_a_percentage_as_floatformat_wrote_it(value):
    assert _figure(value, "ratio") == f"{floatformat(value * 100, '-1g')} %"


@pytest.mark.parametrize("value", COUNTS)
def test_a_count_has_its_thousands_separated_as_intcomma_did(value):
    assert _figure(value, "count") == intcomma(value)


def test_nothing_to_divide_by_is_a_dash():
    assert _figure(None, "ratio") == "—"
