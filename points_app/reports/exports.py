"""CSV and XLSX exports: rows streamed from a source, headers in the current language,
personal data masked unless the role may see it, and an audit entry for every export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO, Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook

from points_app.core.audit import record
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.reports.sources import EXPORT_KINDS, SOURCES, Query, Source

FORMATS = ("csv", "xlsx")
# The most rows the page serves; more goes through the CLI or a narrower period.
PAGE_LIMIT = 50_000
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def source_for(kind: str, *, exports_only: bool = False) -> Source:
    """The source of a kind of rows, or a DomainError naming the kinds there are."""
    kinds = EXPORT_KINDS if exports_only else tuple(SOURCES)
    if kind not in kinds:
        raise DomainError(
            "unknown_kind", f"Unknown export {kind[:40]!r}; choose one of {', '.join(kinds)}.", 422
        )
    return SOURCES[kind]


def may_unmask(actor: Any, query: Query) -> bool:
    """Whether the actor's role may see households' and residents' personal data here."""
    return can(actor, Permission.view_household_private, query.area)


def check_filter(source: Source, query: Query) -> None:
    """Refuse a filter the source does not know."""
    if query.filter not in source.filters:
        raise DomainError("validation_error", _l("Unknown filter."), 422)


def audit_export(
    actor: Any, source: Source, query: Query, *, fmt: str, rows: int, via: str, **extra: Any
) -> None:
    """Write the export's audit entry: who, what, the filters and how many rows."""
    record(
        actor,
        "report.export",
        "area",
        query.area.id,
        kind=source.kind,
        format=fmt,
        rows=rows,
        unmasked=query.unmasked,
        via=via,
        **query.filters(),
        **extra,
    )


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    return str(value)


def csv_chunks(source: Source, query: Query) -> Iterator[str]:
    """The CSV text a few hundred rows at a time (UTF-8 BOM first, so Excel reads Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(source.headers())
    for n, row in enumerate(source.rows(query), start=1):
        writer.writerow([_cell(v) for v in row])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(source: Source, query: Query, out: IO[str]) -> int:
    """Write the CSV to a text file; return the number of rows."""
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow(source.headers())
    count = 0
    for row in source.rows(query):
        writer.writerow([_cell(v) for v in row])
        count += 1
    return count


def write_xlsx(source: Source, query: Query, out: str | IO[bytes]) -> int:
    """Write the XLSX in openpyxl's write-only mode (rows go to disk as they come)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(source.title)[:31])
    sheet.append(source.headers())
    count = _append_all(sheet, source.rows(query))
    book.save(out)
    return count


def _append_all(sheet: Any, rows: Iterable[tuple[Any, ...]]) -> int:
    count = 0
    for row in rows:
        sheet.append([_cell(v) for v in row])
        count += 1
    return count


def write_export(source: Source, query: Query, fmt: str, path: str) -> int:
    """Write an export file in the format; return the number of rows."""
    if fmt not in FORMATS:
        raise DomainError("validation_error", f"Unknown format {fmt[:10]!r}: csv or xlsx.", 422)
    if fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as out:
            return write_csv(source, query, out)
    return write_xlsx(source, query, path)
