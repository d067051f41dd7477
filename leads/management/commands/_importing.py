"""What the two import commands share: NAME=VALUE options and the closing report."""

from pathlib import Path

from django.core.management.base import CommandError


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
