"""``make bench``: prints performance figures (never asserted in tests, which run on shared machines)."""

from __future__ import annotations

import importlib
import sys

BENCHES = [
    "tests.bench_http",
    "tests.bench_appeals",
    "tests.bench_classifier",
    "tests.bench_reports",
    "tests.bench_ledger",
    "tests.bench_city",
    "tests.bench_levels",
    "tests.bench_accounts",
]


def main() -> int:
    for name in BENCHES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            print(f"== {name}: not present, skipped")
            continue
        print(f"== {name}")
        module.run()
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
