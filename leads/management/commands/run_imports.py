from django.core.management.base import BaseCommand

from leads import imports


class Command(BaseCommand):
    help = (
        "Run queued lead imports and finish any whose worker stopped. Safe to run from cron "
        "every minute, on several servers at once: each import is claimed by one runner."
    )

    def handle(self, *args, **options):
        ran = sum(imports.import_process(pk) for pk in imports.pending_imports())
        self.stdout.write(f"{ran} import{'s' if ran != 1 else ''} run.")
