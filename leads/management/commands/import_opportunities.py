import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from leads import deal_importer, importer
from leads.management.commands._importing import (
    add_common_arguments,
    pairs,
    read_with_mapping,
    report,
)
from leads.models import Opportunity


class Command(BaseCommand):
    help = "Import opportunities (deals) from a CSV file (the same importer as the browser's)."

    def add_arguments(self, parser):
        add_common_arguments(parser, noun="deal", fields=deal_importer.FIELDS)
        parser.add_argument(
            "--stage-map",
            action="append",
            default=[],
            metavar="SOURCE=STAGE",
            help="Map a stage name in the file to a stage (repeatable), e.g. Prospecting=discovery."
            f" Stages: {', '.join(Opportunity.Stage.values)}.",
        )
        parser.add_argument(
            "--create-users",
            action="store_true",
            help="Create a sales rep for each owner name no user has (default: an error row).",
        )
        parser.add_argument(
            "--on-duplicate",
            choices=["update", "skip"],
            default="skip",
            help="What to do with a deal whose external id exists (default: skip).",
        )
        parser.add_argument("--as", dest="actor", metavar="USERNAME", help="Who imports.")

    def handle(self, *args, file: Path, **options):
        text, mapping = read_with_mapping(
            file, options["map"], noun="deal", fields=deal_importer.FIELDS
        )
        stage_map = pairs(options["stage_map"], "--stage-map")
        for source, stage in stage_map.items():
            if stage not in Opportunity.Stage.values:
                raise CommandError(
                    f"“{stage}” (for {source}) is not a stage: "
                    f"{', '.join(Opportunity.Stage.values)}."
                )
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"No user is called “{options['actor']}”.")
        self.stdout.write("Columns: " + ", ".join(f"{k} ← {v}" for k, v in mapping.items()))
        began = time.perf_counter()
        try:
            result = deal_importer.run(
                text,
                deal_importer.Options(
                    mapping=mapping,
                    stage_map=stage_map,
                    create_users=options["create_users"],
                    dayfirst=options["dayfirst"],
                    on_duplicate=options["on_duplicate"],
                    dry_run=options["dry_run"],
                    by=actor,
                ),
                progress=lambda rows, r: self.stdout.write(f"  {rows:,} rows read", ending="\r"),
            )
        except importer.FileProblem as e:
            raise CommandError(str(e)) from e
        seconds = time.perf_counter() - began
        report(
            self.stdout,
            result,
            file=file,
            errors=options["errors"],
            seconds=seconds,
            dry_run=options["dry_run"],
        )
