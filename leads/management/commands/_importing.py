"""What the two import commands share: their common options, reading the file and its column
mapping, NAME=VALUE options and the closing report."""

from pathlib import Path

from django.core.management.base import CommandError

from leads import importer


def add_common_arguments(parser, *, noun: str, fields: dict) -> None:
    """The file, --map, --dayfirst, --dry-run and --errors, as both commands take them."""
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help=f"Map a {noun} field to a column (repeatable). Fields: {', '.join(fields)}."
        " Unmapped fields are guessed from the header.",
    )
    parser.add_argument(
        "--dayfirst",
        action="store_true",
        help="Read 01/02/2026 as 1 February (default: 2 Jan).",
    )
    parser.add_argument("--dry-run", action="store_true", help="Check everything, write nothing.")
    parser.add_argument(
        "--errors", type=Path, help="Where to write the row-level error report (CSV)."
    )


def read_with_mapping(file: Path, maps: list[str], *, noun: str, fields: dict):
    """The file's text and its column mapping: guessed from the header, with --map on top."""
    try:
        text = importer.decode(file.read_bytes())
        header, _ = importer.read(text)
    except OSError as e:
        raise CommandError(f"Cannot read {file}: {e.strerror}.") from e
    except importer.FileProblem as e:
        raise CommandError(str(e)) from e
    explicit = pairs(maps, "--map")
    for name in explicit:
        if name not in fields:
            raise CommandError(f"“{name}” is not a {noun} field: {', '.join(fields)}.")
    guessed = importer.guess_mapping(header, fields)
    return text, {k: v for k, v in guessed.items() if v not in explicit.values()} | explicit


def pairs(values: list[str], option: str) -> dict[str, str]:
    """{NAME: VALUE} from repeated NAME=VALUE options."""
    found = {}
    for value in values:
        key, sep, target = value.partition("=")
        if not sep or not key.strip() or not target.strip():
            raise CommandError(f"{option} takes NAME=VALUE, not “{value}”.")
        found[key.strip()] = target.strip()
    return found


def report(
    stdout,
    result,
    *,
    file: Path,
    errors: Path | None,
    seconds: float,
    dry_run: bool,
    extra: str = "",
) -> None:
    """Print the counts and the first errors; write the whole error report next to the file."""
    stdout.write("")
    prefix = "Dry run — nothing written. Would have " if dry_run else ""
    stdout.write(
        f"{prefix}{result.created:,} created, {result.updated:,} updated, "
        f"{result.skipped:,} skipped, {result.error_rows:,} rows with errors{extra} "
        f"— {result.rows:,} rows in {seconds:.1f} s."
    )
    if result.errors:
        for error in result.errors[:10]:
            stdout.write(
                f"  row {error.row}, {error.column or '—'}: “{error.value}” {error.message}"
            )
        path = errors or file.with_suffix(".errors.csv")
        path.write_text(result.error_csv(), encoding="utf-8")
        stdout.write(f"Error report: {path}")
