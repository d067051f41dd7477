from django.core.management.base import BaseCommand

from leads import sla


class Command(BaseCommand):
    help = (
        "Record MQLs past their response window, alert their rep and the managers once per "
        "breach, and reassign those left untouched past the escalation window. Run it from cron "
        "every few minutes; two runs at once never double-send."
    )

    def handle(self, *args, **options):
        report = sla.check()
        self.stdout.write(
            f"{report.recorded} new breach{'es' if report.recorded != 1 else ''}, "
            f"{report.alerted} alerted, {report.escalated} escalated."
        )
