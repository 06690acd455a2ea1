"""The shape of the code that docs/architecture.md promises: checked, so it stays true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_handlers_package_has_at_most_ten_top_level_modules() -> None:
    modules = [p.name for p in (ROOT / "handlers").glob("*.py") if p.name != "__init__.py"]
    assert len(modules) <= 10, sorted(modules)


def test_every_place_named_in_where_each_concern_lives_exists() -> None:
    """Each path in the table's right-hand column (files, folders, ``a/{b,c}.py`` groups)."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = text.split("## Where each concern lives", 1)[1].split("\n## ", 1)[0]
    paths = [p for row in table.splitlines() if row.startswith("| ") for p in _paths(row.split("|")[2])]
    assert len(paths) > 40
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert missing == []


def _paths(cell: str) -> list[str]:
    found = []
    for quoted in re.findall(r"`([^`]+)`", cell):
        if "/" not in quoted or " " in quoted:
            continue  # an attribute or a call, not a path
        group = re.fullmatch(r"(.*)\{([^}]+)\}(.*)", quoted)
        names = [group[1] + n + group[3] for n in group[2].split(",")] if group else [quoted]
        found += [n.rstrip("/") for n in names]
    return found


def test_the_formatter_is_off_only_where_a_table_reads_better_aligned() -> None:
    skips = [
        (p, line)
        for folder in ("bot", "handlers", "scheduler", "storage")
        for p in (ROOT / folder).rglob("*.py")
        for line in p.read_text().splitlines()
        if "fmt: skip" in line or "fmt: off" in line
    ]
    assert len(skips) <= 15, len(skips)
    assert all(re.search(r"fmt: (skip|off)\s+\(.+\)", line) for _, line in skips), [
        f"{p.relative_to(ROOT)}: {line.strip()}"
        for p, line in skips
        if not re.search(r"fmt: (skip|off)\s+\(", line)
    ]


def test_no_line_of_the_package_is_longer_than_the_formatter_allows() -> None:
    """ruff's line length (110) holds for docstrings and comments too, which it does not rewrap."""
    long = [
        f"{p.relative_to(ROOT)}:{i}"
        for folder in ("bot", "handlers", "scheduler", "storage")
        for p in (ROOT / folder).rglob("*.py")
        if "migrations/versions" not in str(p)
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if len(line) > 110
    ]
    assert long == []
