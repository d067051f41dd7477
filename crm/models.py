from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    # A default, not auto_now_add: imports and demo data carry historical creation dates.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
