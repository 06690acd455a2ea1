"""``python -m tests.tools.duplicate_blocks PACKAGE…``: find blocks of 6+ lines written twice.

Lines are compared after stripping indentation and comments, with names, strings and numbers
replaced by placeholders (``--shape``, the default) so that a copy with other names is found too.
Blank lines, imports and lines that are only brackets do not count. Exit 1 when a block repeats.
"""

from __future__ import annotations

import argparse
import io
import sys
import tokenize
from collections import defaultdict
from pathlib import Path

WINDOW = 6
SKIP = {"", "(", ")", "[", "]", "{", "}", "),", "],", "},", "else:", "try:", "finally:", '"""'}


def _shape(line: str) -> str:
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line).readline):
            if tok.type == tokenize.NAME and tok.string not in _KEYWORDS:
                out.append("N")
            elif tok.type == tokenize.STRING or tok.type == tokenize.NUMBER:
                out.append("S")
            elif tok.type in (tokenize.OP, tokenize.NAME):
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return line
    return " ".join(out)


_KEYWORDS = {"if", "elif", "else", "for", "while", "return", "await", "async", "def", "in", "not", "and",
             "or", "is", "None", "True", "False", "with", "as", "try", "except", "raise", "yield", "lambda"}  # fmt: skip


def _lines(path: Path, shape: bool) -> list[tuple[int, str]]:
    kept = []
    in_doc = False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("  #")[0].strip()
        if line.startswith('"""') or line.endswith('"""'):
            in_doc = not in_doc if line.count('"""') == 1 else in_doc
            continue
        if in_doc or line.startswith(("#", "import ", "from ", "@")) or line in SKIP:
            continue
        kept.append((number, _shape(line) if shape else line))
    return kept


def duplicates(roots: list[str], shape: bool) -> dict[tuple[str, ...], list[str]]:
    seen: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for root in roots:
        for path in sorted(Path(root).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            lines = _lines(path, shape)
            for i in range(len(lines) - WINDOW + 1):
                block = tuple(text for _, text in lines[i : i + WINDOW])
                seen[block].append(f"{path}:{lines[i][0]}")
    return {block: places for block, places in seen.items() if len(places) > 1}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("roots", nargs="+")
    parser.add_argument("--exact", action="store_true", help="compare the lines as written")
    args = parser.parse_args(argv)
    found = duplicates(args.roots, shape=not args.exact)
    for block, places in sorted(found.items(), key=lambda kv: kv[1]):
        print(f"{len(places)}× {', '.join(places)}\n    " + "\n    ".join(block))
    print(f"duplicate blocks of {WINDOW}+ lines: {len(found)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
