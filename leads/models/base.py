"""Pieces every leads model uses: money rounding, company sizes, append-only history."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

CENT = Decimal("0.01")


def to_cents(value: Decimal) -> Decimal:
    """Money is rounded half up to the cent, once per line and once per total."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class CompanySize(models.TextChoices):
    S1 = "1-10", "1–10"
    S11 = "11-50", "11–50"
    S51 = "51-200", "51–200"
    S201 = "201-1000", "201–1,000"
    S1001 = "1001-5000", "1,001–5,000"
    S5001 = "5001+", "5,001+"


class AppendOnlyQuerySet(models.QuerySet):
    """History rows are written once: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only.")
