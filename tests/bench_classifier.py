"""Classifier figures for `make bench`: quality against a scikit-learn baseline, speed, cold start.

Prints numbers only; nothing here asserts on timing (machines differ).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from handlers.intake.classifier import TextClassifier, default_model
from handlers.intake.classifier.adapter import SEED_PATH
from handlers.intake.classifier.evaluation import Row, macro_f1, read_rows, report_lines, stratified_split

SPLIT_SEEDS = (2024, 1, 7, 11, 23)  # the first is the reported split; all five give the mean
SHORT = 15  # characters: "short message" for the throughput figure
COLD_START = """
import time
started = time.perf_counter()
from pathlib import Path
from handlers.intake.classifier import default_model
default_model(Path({cache!r})).predict("收到")
print(time.perf_counter() - started)
"""


def _ours(train: Sequence[Row], test: Sequence[Row]) -> tuple[float, TextClassifier]:
    model = TextClassifier.train(train).warm_up()
    return macro_f1([y for _, y in test], [model.predict(t).label for t, _ in test]), model


def _baseline(train: Sequence[Row], test: Sequence[Row]) -> float:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    pipeline = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3)), LinearSVC())
    pipeline.fit([t for t, _ in train], [y for _, y in train])
    return macro_f1([y for _, y in test], [str(p) for p in pipeline.predict([t for t, _ in test])])


def _throughput(model: TextClassifier, rows: Sequence[Row], n: int = 5000) -> float:
    """Best of three runs in CPU time: other processes on a shared machine should not count."""
    texts = [t for t, _ in rows if len(t) <= SHORT]
    batch = (texts * (n // len(texts) + 1))[:n]
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for text in batch:
            model.predict(text)
        best = min(best, time.process_time() - started)
    return n / best


def _cold_start() -> tuple[float, float]:
    """(seconds inside a fresh interpreter to load the cached model with jieba ready, wall seconds)."""
    with tempfile.TemporaryDirectory() as cache:
        default_model(Path(cache))  # trains and caches, like the first start of the app
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", COLD_START.format(cache=cache)], capture_output=True, text=True, check=True
        )
        return float(out.stdout.strip()), time.perf_counter() - started


def run() -> None:
    rows = read_rows(SEED_PATH)
    print(f"classifier bench: seed corpus {len(rows)} rows, stratified 25% held out")
    train, test = stratified_split(rows, 0.25, SPLIT_SEEDS[0])
    started = time.process_time()
    first, model = _ours(train, test)
    print(f"  training time (ours, {len(train)} rows, CPU): {time.process_time() - started:.2f} s")
    print(f"  held-out report (split seed {SPLIT_SEEDS[0]}):")
    for line in report_lines(test, lambda text: model.predict(text).label):
        print("    " + line)
    ours_all, base_all = [first], [_baseline(train, test)]
    for seed in SPLIT_SEEDS[1:]:
        train, test = stratified_split(rows, 0.25, seed)
        ours_all.append(_ours(train, test)[0])
        base_all.append(_baseline(train, test))
    print(f"  macro-F1 ours={ours_all[0]:.4f} baseline(tfidf char_wb 1-3 + LinearSVC)={base_all[0]:.4f}")
    print(f"  ratio ours/baseline={ours_all[0] / base_all[0]:.3f}")
    mean_ours, mean_base = sum(ours_all) / len(ours_all), sum(base_all) / len(base_all)
    print(
        f"  mean over {len(SPLIT_SEEDS)} splits: ours={mean_ours:.4f} baseline={mean_base:.4f}"
        f" ratio={mean_ours / mean_base:.3f}"
    )
    print(
        f"  predictions/s on messages of <= {SHORT} chars (one core, CPU time): {_throughput(model, rows):.0f}"
    )
    inside, wall = _cold_start()
    print(
        f"  cold start (fresh process, cached model + jieba ready): {inside:.2f} s ({wall:.2f} s incl. interpreter)"
    )


if __name__ == "__main__":
    run()
