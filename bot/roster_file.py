"""Reading a 花名册 file (Excel .xlsx or CSV, the header row naming the columns) and importing it:
``zhuqi roster import file.xlsx`` and the workbench's upload page both come here."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config
from handlers.roster.entries import HEADER, RosterEntry, parse_rows
from handlers.roster.live import LiveRoster
from storage.uow import opened

Rows = list[tuple[int, Mapping[str, object]]]
MAX_ROWS = 20_000


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
        raise RosterFileError(f"第1行应是表头，缺少列：{'、'.join(missing)}（需要 {'、'.join(HEADER)}）")
    if len(table) > MAX_ROWS + 1:
        raise RosterFileError(f"一次最多导入 {MAX_ROWS} 行")
    return [(i + 2, dict(zip(header, row, strict=False))) for i, row in enumerate(table[1:])]


def _xlsx(data: bytes) -> list[tuple[object, ...]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError):
        raise RosterFileError("不是有效的 Excel（.xlsx）文件") from None
    return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def _csv(data: bytes) -> list[tuple[object, ...]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves CSV as GBK
        try:
            return [tuple(r) for r in csv.reader(io.StringIO(data.decode(encoding)))]
        except UnicodeDecodeError:
            continue
    raise RosterFileError("CSV 文件的编码无法识别（请存为 UTF-8）")


def check(name: str, data: bytes) -> tuple[list[RosterEntry], list[str]]:
    """The entries of a file and every problem found in it (with row numbers)."""
    try:
        return parse_rows(read_rows(name, data))
    except RosterFileError as exc:
        return [], [str(exc)]


async def import_file(config: Config, path: Path, by: str) -> tuple[int, list[str]]:
    """Import ``path`` into the configured database unless any row is wrong: (rows imported, problems).
    A running bot applies it on its next scheduler tick."""
    entries, problems = check(path.name, await asyncio.to_thread(path.read_bytes))
    if problems:
        return 0, problems
    async with opened(config.database_url) as units:
        await LiveRoster(config.roster).record(units, entries, datetime.now(UTC), by, path.name)
    return len(entries), []
