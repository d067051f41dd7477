import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign, Channel
from leads import importer
from leads.management.commands._importing import (
    add_common_arguments,
    pairs,
    read_with_mapping,
    report,
)


class Command(BaseCommand):
    help = "Import leads from a CSV file (the same importer as the browser's)."

    def add_arguments(self, parser):
        add_common_arguments(parser, noun="lead", fields=importer.FIELDS)
        parser.add_argument("--campaign", metavar="SLUG", help="The campaign the leads came from.")
        parser.add_argument(
            "--channel-map",
            action="append",
            default=[],
            metavar="SOURCE=CHANNEL",
            help="Map a source name in the file to a channel (repeatable).",
        )
        parser.add_argument(
            "--on-duplicate",
            choices=["update", "skip"],
            default="update",
            help="What to do with a lead that already exists (default: update).",
        )

    def handle(self, *args, file: Path, **options):
        text, mapping = read_with_mapping(file, options["map"], noun="lead", fields=importer.FIELDS)
        channel_map = pairs(options["channel_map"], "--channel-map")
        for source, channel in channel_map.items():
            if channel not in Channel.values:
                raise CommandError(
                    f"“{channel}” (for {source}) is not a channel: {', '.join(Channel.values)}."
                )
        campaign = None
        if options["campaign"]:
            campaign = Campaign.objects.filter(slug=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"No campaign has the slug “{options['campaign']}”.")
        self.stdout.write("Columns: " + ", ".join(f"{k} ← {v}" for k, v in mapping.items()))
        began = time.perf_counter()
        try:
            result = importer.run(
                text,
                importer.Options(
                    mapping=mapping,
                    campaign=campaign,
                    channel_map=channel_map,
                    dayfirst=options["dayfirst"],
                    on_duplicate=options["on_duplicate"],
                    dry_run=options["dry_run"],
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
            extra=f", {result.promoted:,} promoted to MQL",
        )
