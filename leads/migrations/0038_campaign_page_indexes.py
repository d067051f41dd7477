"""A campaign page's counts from indexes: its leads with the stages they reached (the campaign
and creation index, widened), and its converted leads, which it joins to their deals."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0003_campaign_tally"),
        ("leads", "0037_accepted_lead_tally"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="lead",
            name="lead_campaign_created_idx",
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                fields=[
                    "campaign",
                    "created_at",
                    "reached_mql",
                    "reached_sal",
                    "reached_sql",
                    "id",
                ],
                name="lead_campaign_reached_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("stage", "converted")),
                fields=["campaign", "id"],
                name="lead_campaign_converted_idx",
            ),
        ),
    ]
