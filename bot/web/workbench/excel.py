"""The ledger as an Excel file: openpyxl's write-only mode, so 100,000 rows stay in bounded memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from handlers.clock import TZ


class LedgerWorkbook:
    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet("台账")
        self.sheet.freeze_panes = "A2"
        self.sheet.column_dimensions["D"].width = 40
        self.rows = 0
        header = []
        for name in self.columns:
            cell = WriteOnlyCell(self.sheet, value=name)
            cell.font = Font(bold=True)
            header.append(cell)
        self.sheet.append(header)

    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        for row in rows:
            self.sheet.append([self._cell(row[c]) for c in self.columns])
        self.rows += len(rows)

    def _cell(self, value: Any) -> Any:
        # Excel has no time zones: local (Beijing) time; openpyxl gives a datetime a date format.
        return value.astimezone(TZ).replace(tzinfo=None) if isinstance(value, datetime) else value

    def save(self, path: str) -> None:
        last = chr(ord("A") + len(self.columns) - 1)
        self.sheet.auto_filter.ref = f"A1:{last}{self.rows + 1}"
        self.book.save(path)


def monthly_workbook(
    path: str, month: str, tables: dict[str, tuple[Sequence[str], list[Sequence[Any]]]]
) -> None:
    """The monthly 考核 report: one sheet per table (name → header, rows)."""
    book = Workbook(write_only=True)
    for name, (header, rows) in tables.items():
        sheet = book.create_sheet(name)
        sheet.freeze_panes = "A2"
        sheet.append([_bold(sheet, h) for h in header])
        for row in rows:
            sheet.append([_local(v) for v in row])
        last = chr(ord("A") + len(header) - 1)
        sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    book.save(path)


def _bold(sheet: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=True)
    return cell


def _local(value: Any) -> Any:
    return value.astimezone(TZ).replace(tzinfo=None) if isinstance(value, datetime) else value
