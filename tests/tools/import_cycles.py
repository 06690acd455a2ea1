"""``python -m tests.tools.import_cycles bot handlers …``: no module imports itself back, through any
chain of imports, at any level — a package's ``__init__`` and its own modules included, which
import-linter's ``acyclic_siblings`` contract (siblings only) does not see. Imports under
``if TYPE_CHECKING:`` never run and are left out. Exits 1 and names each cycle found."""

from __future__ import annotations

import sys

import grimp


def cycles(packages: list[str]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm, iteratively)."""
    graph = grimp.build_graph(*packages, exclude_type_checking_imports=True)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root not in index:
            _strongly_connected(root, edges, index, low, stack, on_stack, found)
    return found


def _strongly_connected(
    root: str,
    edges: dict[str, list[str]],
    index: dict[str, int],
    low: dict[str, int],
    stack: list[str],
    on_stack: set[str],
    found: list[list[str]],
) -> None:
    work = [(root, 0)]
    while work:
        node, i = work.pop()
        if i == 0:
            index[node] = low[node] = len(index)
            stack.append(node)
            on_stack.add(node)
        targets = edges.get(node, [])
        if i < len(targets):
            work.append((node, i + 1))
            target = targets[i]
            if target not in index:
                work.append((target, 0))
            elif target in on_stack:
                low[node] = min(low[node], index[target])
            continue
        if work:
            parent = work[-1][0]
            low[parent] = min(low[parent], low[node])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))


def main(argv: list[str]) -> int:
    found = cycles(argv)
    for group in found:
        print("import cycle: " + " ↔ ".join(group))
    print(f"import cycles among modules (packages' own modules included): {len(found)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
