"""A sparse multinomial logistic regression trained by averaged SGD, in plain Python.

Plain dicts and lists keep the runtime free of numpy; only features present in a message are
touched, so a prediction costs (features × classes) additions and a correction is a few SGD steps.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

Vector = dict[str, float]


def softmax(logits: Sequence[float]) -> list[float]:
    top = max(logits)
    exps = [math.exp(z - top) for z in logits]
    total = sum(exps)
    return [e / total for e in exps]


class SoftmaxModel:
    def __init__(self, labels: Sequence[str]) -> None:
        self.labels = list(labels)
        self.weights: dict[str, list[float]] = {}
        self.bias = [0.0] * len(self.labels)

    def logits(self, x: Vector) -> list[float]:
        weights = self.weights
        present = [(value, w) for feature, value in x.items() if (w := weights.get(feature)) is not None]
        # Column sums over the present features only: one pass per class beats a new list per feature.
        return [bias + sum(value * w[k] for value, w in present) for k, bias in enumerate(self.bias)]

    def margin(self, x: Vector, first: int = 0, second: int = 1) -> float:
        """logit[second] - logit[first] without building the logit list (the hot path for 2 classes)."""
        weights = self.weights
        total = self.bias[second] - self.bias[first]
        for feature, value in x.items():
            w = weights.get(feature)
            if w is not None:
                total += value * (w[second] - w[first])
        return total

    def probabilities(self, x: Vector) -> list[float]:
        return softmax(self.logits(x))

    def copy(self) -> SoftmaxModel:
        twin = SoftmaxModel(self.labels)
        twin.weights = {f: list(w) for f, w in self.weights.items()}
        twin.bias = list(self.bias)
        return twin

    def add_label(self, label: str) -> None:
        self.labels.append(label)
        self.bias.append(0.0)
        for w in self.weights.values():
            w.append(0.0)

    def step(
        self,
        x: Vector,
        target: int,
        rate: float,
        acc: SoftmaxModel | None = None,
        t: int = 0,
        skip: float = 1.0,
    ) -> None:
        """One SGD step on the log loss; `acc` collects t·Δ for averaging (see `fit`).

        With `skip` < 1 an example already predicted with that probability is left alone: the
        gradient would be tiny, and skipping it makes training several times faster.
        """
        probs = self.probabilities(x)
        if probs[target] >= skip:
            return
        size = len(probs)
        # Classes with a negligible gradient are not touched at all.
        active = [(rate * (p - (k == target)), k) for k, p in enumerate(probs)]
        active = [(d, k) for d, k in active if d > 1e-4 or d < -1e-4]
        weights = self.weights
        for d, k in active:
            self.bias[k] -= d
        for feature, value in x.items():
            w = weights.get(feature)
            if w is None:
                w = weights[feature] = [0.0] * size
            for d, k in active:
                w[k] -= value * d
        if acc is None:
            return
        for d, k in active:
            acc.bias[k] -= t * d
        for feature, value in x.items():
            a = acc.weights.get(feature)
            if a is None:
                a = acc.weights[feature] = [0.0] * size
            tv = t * value
            for d, k in active:
                a[k] -= tv * d

    def nudge(self, x: Vector, target: int, *, rate: float = 0.5, want: float = 0.7) -> None:
        """Take one example into account right now: step until it is predicted with `want`."""
        for _ in range(60):
            if self.probabilities(x)[target] >= want:
                return
            self.step(x, target, rate)

    @classmethod
    def fit(
        cls,
        labels: Sequence[str],
        xs: Sequence[Vector],
        ys: Sequence[int],
        *,
        epochs: int,
        rate: float,
        seed: int,
        skip: float = 0.9,
    ) -> SoftmaxModel:
        """Averaged SGD: the mean of all iterates generalises like a regularised fit, without tuning C."""
        live, total = cls(labels), cls(labels)
        order = list(range(len(xs)))
        rng = random.Random(seed)
        seen = 0
        for _ in range(epochs):
            rng.shuffle(order)
            for i in order:
                seen += 1
                live.step(xs[i], ys[i], rate, acc=total, t=seen, skip=skip)
        return _averaged(live, total, seen)

    def to_json(self, digits: int = 5) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "bias": [round(b, digits) for b in self.bias],
            "weights": {f: [round(v, digits) for v in w] for f, w in self.weights.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SoftmaxModel:
        model = cls(data["labels"])
        model.bias = [float(b) for b in data["bias"]]
        model.weights = data["weights"]
        return model


def _averaged(live: SoftmaxModel, total: SoftmaxModel, seen: int) -> SoftmaxModel:
    """Average of iterates = final - (Σ t·Δ_t)/T, the usual lazy trick for averaged SGD."""
    out = SoftmaxModel(live.labels)
    scale = 1.0 / max(seen, 1)
    out.bias = [b - a * scale for b, a in zip(live.bias, total.bias, strict=True)]
    for feature, w in live.weights.items():
        acc = total.weights[feature]
        out.weights[feature] = [v - a * scale for v, a in zip(w, acc, strict=True)]
    return out


def complement_nb(size: int, xs: Sequence[Vector], ys: Sequence[int], alpha: float) -> dict[str, list[float]]:
    """Complement naive Bayes weights, centred per feature so they add to softmax logits cleanly.

    CNB learns from what a class is *not*, which is steadier than SGD on classes with few examples.
    """
    counts: dict[str, list[float]] = {}
    totals = [0.0] * size
    for x, y in zip(xs, ys, strict=True):
        for feature, value in x.items():
            counts.setdefault(feature, [0.0] * size)[y] += value
        totals[y] += sum(x.values())
    vocabulary, grand = len(counts), sum(totals)
    weights = {}
    for feature, c in counts.items():
        row_total = sum(c)
        w = [
            -math.log((alpha + row_total - c[k]) / (alpha * vocabulary + grand - totals[k]))
            for k in range(size)
        ]
        mean = sum(w) / size
        weights[feature] = [v - mean for v in w]
    return weights


def blend(model: SoftmaxModel, extra: dict[str, list[float]], mix: float, scale: float) -> None:
    """Fold a second linear scorer into `model` in place: one weight table, so no extra cost per prediction."""
    keep = 1.0 - mix
    model.bias = [b * keep for b in model.bias]
    for feature, w in model.weights.items():
        e = extra.get(feature)
        if e is None:
            model.weights[feature] = [v * keep for v in w]
        else:
            model.weights[feature] = [v * keep + mix * scale * x for v, x in zip(w, e, strict=True)]
    for feature, e in extra.items():
        if feature not in model.weights:
            model.weights[feature] = [mix * scale * x for x in e]
