"""Reading labelled CSV files, splitting them and scoring a model: shared by the CLI and the bench."""

from __future__ import annotations

import csv
import random
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from storage.domain import NOT_APPEAL

Row = tuple[str, str]


def read_rows(path: Path) -> list[Row]:
    """Rows of a UTF-8 CSV with a header holding `text` and `label` (a BOM from Excel is fine)."""
    with path.open(encoding="utf-8-sig", newline="") as src:
        reader = csv.DictReader(src)
        if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: the header must name the columns text and label")
        return [(unguarded(r["text"]), r["label"].strip()) for r in reader if r["text"] and r["label"]]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guarded(cell: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula: one that starts like a formula gets a
    leading apostrophe (what spreadsheets themselves write for text that looks like one)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def unguarded(cell: str) -> str:
    """The text ``guarded`` was given (a CSV made by ``zhuqi classify export`` trains on the message)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def stratified_split(
    rows: Sequence[Row], test_fraction: float = 0.25, seed: int = 2024
) -> tuple[list[Row], list[Row]]:
    """Same share of every label in the test part, and the same split on every run."""
    by_label: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_label[row[1]].append(row)
    rng = random.Random(seed)
    train: list[Row] = []
    test: list[Row] = []
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        cut = round(len(group) * test_fraction)
        test += group[:cut]
        train += group[cut:]
    return train, test


@dataclass(frozen=True)
class ClassScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def class_scores(gold: Sequence[str], predicted: Sequence[str]) -> list[ClassScore]:
    """Per label over the union of true and predicted labels, as scikit-learn's macro average does."""
    scores = []
    for label in sorted(set(gold) | set(predicted)):
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        scores.append(ClassScore(label, *_prf(tp, fp, fn), support=tp + fn))
    return scores


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    scores = class_scores(gold, predicted)
    return sum(s.f1 for s in scores) / len(scores) if scores else 0.0


def _pad(label: str, width: int = 14) -> str:
    """Left-justify for a terminal, where a Chinese character takes two columns."""
    shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in label)
    return label + " " * max(1, width - shown)


def report_lines(
    rows: Sequence[Row], predict: Callable[[str], str], extra: Callable[[list[str]], list[str]] | None = None
) -> list[str]:
    """Per-class table, appeal detection when chatter is present, the costliest confusions, what
    ``extra(predicted)`` adds, and the summary line last (scripts read it)."""
    start = time.perf_counter()
    predicted = [predict(text) for text, _ in rows]
    elapsed = time.perf_counter() - start
    gold = [label for _, label in rows]
    lines = [f"{_pad('label')}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}"]
    for s in class_scores(gold, predicted):
        lines.append(f"{_pad(s.label)}{s.precision:>10.4f}{s.recall:>10.4f}{s.f1:>10.4f}{s.support:>9}")
    if NOT_APPEAL in gold:
        pairs = [(g != NOT_APPEAL, p != NOT_APPEAL) for g, p in zip(gold, predicted, strict=True)]
        tp = sum(g and p for g, p in pairs)
        precision, recall, _ = _prf(
            tp, sum(p and not g for g, p in pairs), sum(g and not p for g, p in pairs)
        )
        lines.append(f"appeal_detection precision={precision:.4f} recall={recall:.4f}")
    lines += confusion_lines(gold, predicted)
    lines += extra(predicted) if extra else []
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / max(len(gold), 1)
    per_s = round(len(rows) / elapsed) if elapsed > 0 else 0
    lines.append(f"macro_f1={macro_f1(gold, predicted):.4f} accuracy={accuracy:.4f} predict_per_s={per_s}")
    return lines


def confusion_lines(gold: Sequence[str], predicted: Sequence[str], top: int = 5) -> list[str]:
    """The (true → predicted) pairs that cost most, with how many."""
    pairs = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    if not pairs:
        return []
    return ["costliest confusions (true → predicted):"] + [
        f"  {g} → {p}: {n}" for (g, p), n in pairs.most_common(top)
    ]


def reliability_lines(
    title: str, confidence: Sequence[float], correct: Sequence[bool], bins: int = 5
) -> list[str]:
    """A reliability table: per confidence bin, how often the model was right (ECE at the end)."""
    lines = [f"reliability of {title}:", f"  {'confidence':<12}{'n':>6}{'mean p':>9}{'right':>9}"]
    ece = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [
            (p, c)
            for p, c in zip(confidence, correct, strict=True)
            if low <= p < high or (b == bins - 1 and p == 1.0)
        ]
        if not members:
            continue
        mean_p = sum(p for p, _ in members) / len(members)
        right = sum(c for _, c in members) / len(members)
        ece += len(members) / max(len(confidence), 1) * abs(mean_p - right)
        lines.append(f"  {low:.1f}–{high:.1f}     {len(members):>6}{mean_p:>9.3f}{right:>9.3f}")
    lines.append(f"  expected calibration error {ece:.3f}")
    return lines


def baseline_macro_f1(train: Sequence[Row], test: Sequence[Row]) -> float:
    """The field's standard baseline on the same split: char 1–3-gram TF-IDF (sublinear) + LinearSVC."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    pipeline = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True), LinearSVC()
    )
    pipeline.fit([t for t, _ in train], [y for _, y in train])
    return macro_f1([y for _, y in test], [str(p) for p in pipeline.predict([t for t, _ in test])])
