"""The one config reader: typed values out of TOML tables, each error one line naming the key.

``Reader(source).get(table, "port", "web.", int, 8080)`` fails with
``config.toml: web.port: should be an integer, got 'x'``. Every section (roster, intake, schedule,
events, wechaty) is read through it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
Table = Mapping[str, Any]
Span = tuple[dt.time, dt.time]
_KIND_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list"}


class ConfigError(ValueError):
    """One line: file, key, what is wrong."""


class Reader:
    def __init__(self, source: Path | None = None) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: {key}: {problem}" if self.source else f"{key}: {problem}")

    def get(
        self,
        table: Table,
        key: str,
        path: str,
        kind: type[T],
        default: Any = ...,
        *,
        low: float | None = None,
        high: float | None = None,
    ) -> T:
        """``table[key]`` of type ``kind`` (an int is a float too), within [low, high] when given."""
        if key not in table:
            if default is ...:
                raise self.fail(f"{path}{key}", "is required")
            return default
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind in (int, float) and isinstance(value, bool)):
            raise self.fail(
                f"{path}{key}", f"should be {_KIND_NAMES.get(kind, kind.__name__)}, got {value!r}"
            )
        self._bounded(value, f"{path}{key}", low, high)
        return value

    def _bounded(self, value: Any, key: str, low: float | None, high: float | None) -> None:
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(key, f"should be between {low} and {high}, got {value!r}")

    def strings(self, table: Table, key: str, path: str) -> tuple[str, ...]:
        values = self.get(table, key, path, list, [])
        for i, v in enumerate(values):
            if not isinstance(v, str) or not v.strip():
                raise self.fail(f"{path}{key}[{i}]", f"should be a non-empty string, got {v!r}")
        return tuple(values)

    def dates(self, table: Table, key: str, path: str) -> frozenset[date]:
        return frozenset(
            self._date(v, f"{path}{key}[{i}]") for i, v in enumerate(self.get(table, key, path, list, []))
        )

    def _date(self, value: Any, key: str) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(key, f"should be a date like 2027-02-05, got {value!r}") from None

    def tables(self, data: Table, key: str) -> list[Table]:
        items = data.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise self.fail(key, f"should be an array of tables ([[{key}]])")
        return items

    def table(self, data: Table, key: str) -> Table:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, f"should be a table ([{key}])")
        return value

    def one_of(self, table: Table, key: str, path: str, choices: Sequence[str], default: str) -> str:
        value = self.get(table, key, path, str, default)
        if value not in choices:
            raise self.fail(f"{path}{key}", f"should be one of {', '.join(choices)}, got {value!r}")
        return value

    def time(self, table: Table, key: str, path: str, default: dt.time) -> dt.time:
        return self._time(table[key], f"{path}{key}") if key in table else default

    def _time(self, text: Any, key: str) -> dt.time:
        try:
            hh, mm = str(text).strip().split(":")
            return dt.time(int(hh), int(mm))
        except ValueError:
            raise self.fail(key, f"should be a time like 08:30, got {text!r}") from None

    def span(self, table: Table, key: str, path: str, default: Span, *, wrap: bool = False) -> Span:
        return self._span(table[key], f"{path}{key}", wrap=wrap) if key in table else default

    def spans(self, table: Table, key: str, path: str, default: tuple[Span, ...]) -> tuple[Span, ...]:
        if key not in table:
            return default
        raw = self.get(table, key, path, list)
        items = sorted(self._span(v, f"{path}{key}[{i}]", wrap=False) for i, v in enumerate(raw))
        if not items or any(a[1] > b[0] for a, b in pairwise(items)):
            raise self.fail(f"{path}{key}", f"should be non-empty, non-overlapping spans, got {raw!r}")
        return tuple(items)

    def _span(self, text: Any, key: str, *, wrap: bool) -> Span:
        parts = str(text).replace("–", "-").split("-") if isinstance(text, str) else []
        if len(parts) != 2:
            raise self.fail(key, f"should look like '08:30-12:00', got {text!r}")
        start, end = self._time(parts[0], key), self._time(parts[1], key)
        if start == end or (start > end and not wrap):
            raise self.fail(key, f"should start before it ends, got {text!r}")
        return start, end
