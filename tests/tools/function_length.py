"""``python -m tests.tools.function_length PACKAGE…``: fail when a function is longer than 50 lines.

Counts from the ``def`` line to the last line of the body (decorators and docstrings included), as
a reader scrolls it. ``make lint`` runs it over the package.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

LIMIT = 50


def long_functions(path: Path, limit: int = LIMIT) -> Iterator[tuple[int, str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                yield node.lineno, node.name, length


def main(roots: list[str]) -> int:
    found = [
        f"{path}:{line}: {name} is {length} lines (limit {LIMIT})"
        for root in roots
        for path in sorted(Path(root).rglob("*.py"))
        if "migrations" not in path.parts
        for line, name, length in long_functions(path)
    ]
    print("\n".join(found) or f"function length: every function is at most {LIMIT} lines")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
