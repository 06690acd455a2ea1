"""Linear scorers over sparse vectors: trained with scikit-learn, kept as NumPy arrays, calibrated.

``LinearSVC`` (one-vs-rest) gives the scores. Calibration is fitted on 5-fold cross-validated scores of
the training data: Platt scaling (a logistic on the score) for the two-class appeal detector and one
temperature for the categories' softmax, so a printed probability is what the reliability table shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
C_DETECTOR, C_CATEGORIES = 0.5, 0.5  # chosen on seed splits 100–104 (not the bench's)
FOLDS = 5


class LinearScorer:
    """``labels`` × features weights; ``scale`` and ``shift`` turn scores into calibrated logits."""

    def __init__(
        self, labels: Sequence[str], coef: Floats, intercept: Floats, scale: float = 1.0, shift: float = 0.0
    ) -> None:
        self.labels = list(labels)
        self.intercept = intercept
        self.scale, self.shift = scale, shift
        self.coef = coef

    @property
    def coef(self) -> Floats:
        """labels × features (kept transposed: a message's feature rows are read in one block)."""
        return self._by_feature.T

    @coef.setter
    def coef(self, value: Floats) -> None:
        self._by_feature = np.ascontiguousarray(np.asarray(value, dtype=np.float64).T)

    def scores(self, cols: Ints, vals: Floats) -> Floats:
        return vals @ self._by_feature[cols] + self.intercept

    def logits(self, cols: Ints, vals: Floats) -> Floats:
        return self.scale * self.scores(cols, vals) + self.shift

    def probabilities(self, cols: Ints, vals: Floats) -> Floats:
        return softmax(self.logits(cols, vals))

    def copy(self) -> LinearScorer:
        return LinearScorer(self.labels, self.coef.copy(), self.intercept.copy(), self.scale, self.shift)

    def add_label(self, label: str) -> None:
        """A new class with no evidence yet: it scores as the weakest class until taught."""
        self.labels.append(label)
        self._by_feature = np.hstack([self._by_feature, np.zeros((self._by_feature.shape[0], 1))])
        self.intercept = np.append(self.intercept, self.intercept.min() - 1.0)

    def nudge(self, cols: Ints, vals: Floats, target: int, *, rate: float = 0.5, want: float = 0.7) -> None:
        """Take one example into account right now: log-loss steps until it has probability ``want``."""
        for _ in range(60):
            probs = self.probabilities(cols, vals)
            if probs[target] >= want:
                return
            grad = probs.copy()
            grad[target] -= 1.0
            step = rate * grad / max(self.scale, 1e-6)
            self._by_feature[cols] -= np.outer(vals, step)
            self.intercept -= step


def softmax(z: Floats) -> Floats:
    e = np.exp(z - z.max())
    return np.asarray(e / e.sum(), dtype=np.float64)


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def fit_detector(x: Any, is_chatter: Sequence[bool]) -> LinearScorer:
    """Two classes (appeal, chatter) as one score for chatter; Platt-scaled to P(chatter)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict
    from sklearn.svm import LinearSVC

    y = np.asarray(is_chatter, dtype=bool)
    svc = LinearSVC(C=C_DETECTOR).fit(x, y)
    coef, intercept = np.asarray(svc.coef_, dtype=np.float64), np.asarray(svc.intercept_, dtype=np.float64)
    folds = min(FOLDS, int(min(y.sum(), (~y).sum())))
    if folds < 2:  # a handful of rows: nothing to calibrate on
        return LinearScorer(["chatter"], coef, intercept, 2.0, 0.0)
    held_out = cross_val_predict(LinearSVC(C=C_DETECTOR), x, y, cv=folds, method="decision_function")
    platt = LogisticRegression(C=1e4).fit(held_out.reshape(-1, 1), y)
    return LinearScorer(["chatter"], coef, intercept, float(platt.coef_[0, 0]), float(platt.intercept_[0]))


def fit_categories(x: Any, labels: Sequence[str]) -> LinearScorer:
    """One-vs-rest scores per category; one temperature fitted on held-out scores for the softmax."""
    from sklearn.svm import LinearSVC

    names = sorted(set(labels))
    y = np.asarray([names.index(label) for label in labels])
    if len(names) == 1:  # one category: it is always the answer
        return LinearScorer(names, np.zeros((1, x.shape[1])), np.zeros(1))
    svc = LinearSVC(C=C_CATEGORIES).fit(x, y)
    coef, intercept = np.asarray(svc.coef_, dtype=np.float64), np.asarray(svc.intercept_, dtype=np.float64)
    if len(names) == 2:  # scikit-learn keeps one row for two classes: make it one row each
        coef, intercept = (
            np.vstack([-coef[0] / 2, coef[0] / 2]),
            np.array([-intercept[0] / 2, intercept[0] / 2]),
        )
    folds = min(FOLDS, int(np.bincount(y).min()))
    scale = _temperature(x, y, folds) if folds >= 2 else 1.0
    return LinearScorer(names, coef, intercept, scale)


def _temperature(x: Any, y: Ints, folds: int) -> float:
    from scipy.optimize import minimize_scalar
    from sklearn.model_selection import cross_val_predict
    from sklearn.svm import LinearSVC

    held_out = cross_val_predict(LinearSVC(C=C_CATEGORIES), x, y, cv=folds, method="decision_function")
    if held_out.ndim == 1:
        held_out = np.column_stack([-held_out / 2, held_out / 2])

    def loss(t: float) -> float:
        z = t * held_out
        z = z - z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean())

    return float(minimize_scalar(loss, bounds=(0.05, 50.0), method="bounded").x)
