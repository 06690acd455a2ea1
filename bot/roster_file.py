"""Reading a 花名册 file (Excel .xlsx or CSV, the header row naming the columns) and importing it:
``zhuqi roster import file.xlsx`` and the workbench's upload page both come here."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config
from handlers.replies.roster import change_line
from handlers.roster.entries import HEADER, RosterEntry, changes, parse_rows
from handlers.roster.live import LiveRoster
from handlers.roster.model import Roster
from storage.uow import UnitOfWork, opened

Rows = list[tuple[int, Mapping[str, object]]]
MAX_ROWS = 20_000
# Only this many columns are read: the 花名册's header must sit within them. A sheet whose rows
# carry one far cell (column XFD) is read as narrow as its header, not 16,384 cells a row.
MAX_COLUMNS = 32


class RosterFileError(ValueError):
    """The file cannot be read as a 花名册 (the message is Chinese, for the person importing it)."""


def read_rows(name: str, data: bytes) -> Rows:
    """(row number in the file, {column: value}) for every row after the header."""
    table = _xlsx(data) if name.lower().endswith(".xlsx") else _csv(data)
    if not table:
        raise RosterFileError("文件是空的")
    header = [" ".join(str(h or "").split()) for h in table[0]]
    missing = [h for h in HEADER[:3] if h not in header]
    if missing:
        raise RosterFileError(
            f"第1行应是表头（前 {MAX_COLUMNS} 列内），缺少列：{'、'.join(missing)}（需要 {'、'.join(HEADER)}）"
        )
    return [(i + 2, dict(zip(header, row, strict=False))) for i, row in enumerate(table[1:])]


def _xlsx(data: bytes) -> list[tuple[object, ...]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = book.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True)
        return _bounded(tuple(row) for row in rows)
    except (BadZipFile, KeyError, ValueError, OSError):
        raise RosterFileError("不是有效的 Excel（.xlsx）文件") from None


def _csv(data: bytes) -> list[tuple[object, ...]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves CSV as GBK
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return _bounded(tuple(r[:MAX_COLUMNS]) for r in csv.reader(io.StringIO(text)))
        except csv.Error:
            raise RosterFileError("不是有效的 CSV 文件") from None
    raise RosterFileError("CSV 文件的编码无法识别（请存为 UTF-8）")


def _bounded(rows: Iterator[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """At most the header and ``MAX_ROWS`` rows, stopping at the first one past them (a huge sheet
    is refused without being read to its end); rows with no value at all are left out."""
    table: list[tuple[object, ...]] = []
    for row in rows:
        if any(value is not None and value != "" for value in row):
            if len(table) > MAX_ROWS:
                raise RosterFileError(f"一次最多导入 {MAX_ROWS} 行")
            table.append(row)
    return table


def check(name: str, data: bytes, roster: Roster | None = None) -> tuple[list[RosterEntry], list[str]]:
    """The entries of a file and every problem found in it (with row numbers; 单位 and 群 checked
    against ``roster``'s). CPU-bound: callers on the event loop run it in a thread."""
    try:
        return parse_rows(read_rows(name, data), roster)
    except RosterFileError as exc:
        return [], [str(exc)]


async def import_file(config: Config, path: Path, by: str) -> tuple[int, list[str]]:
    """Import ``path`` into the configured database unless any row is wrong: (rows imported, problems).
    A running bot applies it on its next scheduler tick."""
    data = await asyncio.to_thread(path.read_bytes)
    entries, problems = await asyncio.to_thread(check, path.name, data, config.roster)
    if problems:
        return 0, problems
    async with opened(config.database_url) as units:
        await record(LiveRoster(config.roster), units, entries, by, path.name)
    return len(entries), []


async def record(
    live: LiveRoster, units: Callable[[], UnitOfWork], entries: Sequence[RosterEntry], by: str, source: str
) -> None:
    """Store and apply a checked import, its record naming every change it makes (before → after)."""
    changed = [change_line(c) for c in changes(live.roster, entries)]
    await live.record(units, entries, datetime.now(UTC), by, source, changed)
