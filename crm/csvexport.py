"""Streamed CSV downloads: constant memory whatever the number of rows."""

import csv

from django.http import StreamingHttpResponse

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The cell as text, with formula-looking text defused by a leading apostrophe."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Echo:
    def write(self, value):
        return value


def stream_csv(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """`rows` is an iterable of sequences, read lazily as the download goes."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # a BOM, so spreadsheet programs read UTF-8
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
