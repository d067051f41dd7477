"""Proposals on a deal: versions, line items and Decimal totals rounded to the cent."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from crm.models import TimeStampedModel
from leads.models.base import to_cents
from leads.models.deals import Opportunity

# --- Proposals --------------------------------------------------------------------------------


class Proposal(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"

    opportunity = models.ForeignKey(Opportunity, on_delete=models.PROTECT, related_name="proposals")
    version = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    valid_until = models.DateField()
    tax_rate = models.DecimalField(
        "tax rate (%)", max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    terms = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opportunity", "-version"]
        indexes = [models.Index(fields=["status", "valid_until"], name="proposal_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "version"], name="proposal_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="proposal_tax_rate_percent"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="proposal_version_positive"),
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"

    def get_absolute_url(self):
        return self.opportunity.get_absolute_url()

    def totals(self) -> dict[str, Decimal]:
        """Subtotal, tax and total in cents; uses prefetched lines when present."""
        subtotal = sum((line.total for line in self.lines.all()), Decimal("0.00"))
        tax = to_cents(subtotal * self.tax_rate / 100)
        return {"subtotal": subtotal, "tax": tax, "total": subtotal + tax}


class ProposalLine(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    discount_percent = models.DecimalField(
        "discount (%)", max_digits=5, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        ordering = ["proposal", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="line_unit_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100),
                name="line_discount_percent",
            ),
        ]

    def __str__(self):
        return self.description

    @property
    def total(self) -> Decimal:
        gross = self.quantity * self.unit_price
        return to_cents(gross - gross * self.discount_percent / 100)
