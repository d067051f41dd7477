from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from crm import demo


class Command(BaseCommand):
    help = (
        "Build a believable demo company: users for each role, campaigns with spend, leads "
        "flowing through the funnel, deals, proposals, an SLA and quotas."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--leads", type=int, default=2000, help="How many leads (default 2000)."
        )
        parser.add_argument(
            "--seed", type=int, default=42, help="Random seed, for repeatable data."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Erase EVERYTHING in the database first (like `manage.py flush`), then seed.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing, successfully, when the database already has data.",
        )

    def handle(self, *args, leads, seed, force, if_empty, **options):
        if leads < 0:
            raise CommandError("--leads must be zero or more.")
        if demo.has_domain_data():
            if if_empty:
                self.stdout.write("The database already has data: left as it is.")
                self._print_logins()
                return
            if not force:
                raise CommandError(
                    "The database already has campaigns, leads or deals. Use --force to erase "
                    "all data and seed again, or --if-empty to leave it alone."
                )
            self.stdout.write("Erasing all data (--force)…")
            call_command("flush", interactive=False, verbosity=0)
        summary = demo.seed(leads=leads, seed=seed, log=self.stdout.write)
        for name, count in summary.counts.items():
            self.stdout.write(f"  {count:>10,} {name}")
        rate = summary.counts["leads"] / summary.seconds if summary.seconds else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {summary.counts['leads']:,} leads in {summary.seconds:.1f} s "
                f"({rate:,.0f} leads/s)."
            )
        )
        self._print_logins()

    def _print_logins(self):
        self.stdout.write(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD}):")
        for username, role in demo.demo_logins():
            self.stdout.write(f"  {username:<8} {role}")
