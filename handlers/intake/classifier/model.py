"""The two-stage text model: "is this an appeal?" then "which category?".

Any label set trains; ``NOT_APPEAL`` is special only when present, in which case it trains the
first stage. Without it every message is an appeal and only the category is learned. Training uses
scikit-learn; a trained model is plain arrays in a NumPy ``.npz`` file read with ``allow_pickle=False``
(loading never runs code), with its format version, the training data's hash and its label set.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from handlers.intake.classifier.features import DOMAIN_WORD_FREQ, LEXICON_PREFIX, Tokenizer, shared_tokenizer
from handlers.intake.classifier.linear import LinearScorer, fit_categories, fit_detector, sigmoid
from handlers.intake.classifier.vectors import Block, CharBlock, Vectorizer
from storage.domain import NOT_APPEAL

log = logging.getLogger(__name__)

FORMAT_VERSION = 6
TOKENIZER = f"rjieba, jieba dictionary + domain words at {DOMAIN_WORD_FREQ}"
CLEARLY_CHATTER = 0.02  # below this appeal probability the category is not computed
# P(appeal) from which a message is an appeal (then a ticket or, below [intake] confidence_threshold,
# a 待确认 one); chosen on seed splits other than the bench's (docs/performance.md).
APPEAL_THRESHOLD = 0.6


class ModelFileError(ValueError):
    """A model file that cannot be used: another format, broken, or trained for other labels."""


@dataclass(frozen=True)
class Prediction:
    label: str  # the category, or NOT_APPEAL
    is_appeal: bool
    confidence: float  # probability of `label`: P(appeal)·P(category | appeal), or P(chatter)
    appeal_probability: float
    category: str  # best category, also for chatter unless it is clearly chatter (then "")
    category_probability: float


def data_hash(rows: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for text, label in rows:
        digest.update(f"{label}\t{text}\n".encode())
    return digest.hexdigest()


class TextClassifier:
    def __init__(
        self,
        vectorizer: Vectorizer,
        detector: LinearScorer | None,
        categorizer: LinearScorer,
        meta: Mapping[str, Any] | None = None,
        appeal_threshold: float = APPEAL_THRESHOLD,
    ) -> None:
        self.vectorizer, self.detector, self.categorizer = vectorizer, detector, categorizer
        self.meta = dict(meta or {})
        self.appeal_threshold = appeal_threshold

    @property
    def categories(self) -> list[str]:
        return list(self.categorizer.labels)

    @property
    def tokenizer(self) -> Tokenizer:
        return self.vectorizer.tokenizer

    @classmethod
    def train(cls, rows: Iterable[tuple[str, str]], *, tokenizer: Tokenizer | None = None) -> TextClassifier:
        data = [(text, label.strip()) for text, label in rows if text.strip() and label.strip()]
        if not any(label != NOT_APPEAL for _, label in data):
            raise ValueError("training data needs at least one label other than " + NOT_APPEAL)
        vectorizer, x = Vectorizer.fit([t for t, _ in data], tokenizer or shared_tokenizer())
        chatter = [label == NOT_APPEAL for _, label in data]
        detector = fit_detector(x, chatter) if any(chatter) else None
        appeals = [i for i, c in enumerate(chatter) if not c]
        categorizer = fit_categories(x[appeals], [data[i][1] for i in appeals])
        meta = {
            "rows": len(data),
            "data_sha256": data_hash(data),
            "trained_at": datetime.now(UTC).isoformat(),
        }
        log.info(
            "trained on %d rows, %d categories, %d features", len(data), len(categorizer.labels), x.shape[1]
        )
        return cls(vectorizer, detector, categorizer, meta)

    def warm_up(self) -> TextClassifier:
        """Load jieba now rather than inside the first prediction (which a caller may be timing)."""
        self.tokenizer.ready()
        return self

    def predict(
        self, text: str, *, category_bias: Mapping[str, float] | None = None, appeal_bias: float = 0.0
    ) -> Prediction:
        """``category_bias`` adds to category scores (names the model lacks join at the mean logit)."""
        cols, vals = self.vectorizer.transform(text)
        p_appeal = 1.0
        if self.detector is not None:
            p_appeal = 1.0 - sigmoid(float(self.detector.logits(cols, vals)[0]) - appeal_bias)
        category, p_category = "", 0.0
        if p_appeal >= CLEARLY_CHATTER:  # most group traffic is 收到 and 👍: no category needed
            category, p_category = self._category(cols, vals, category_bias)
        is_appeal = p_appeal >= self.appeal_threshold
        return Prediction(
            label=category if is_appeal else NOT_APPEAL,
            is_appeal=is_appeal,
            confidence=p_appeal * p_category if is_appeal else 1.0 - p_appeal,
            appeal_probability=p_appeal,
            category=category,
            category_probability=p_category,
        )

    def _category(self, cols: Any, vals: Any, bias: Mapping[str, float] | None) -> tuple[str, float]:
        logits = self.categorizer.logits(cols, vals)
        names = list(self.categorizer.labels)
        extra = [n for n in (bias or {}) if n not in names]
        if extra:
            names += extra
            logits = np.append(logits, [float(logits.mean())] * len(extra))
        for name, boost in (bias or {}).items():  # in score units: the same pull whatever the calibration
            logits[names.index(name)] += boost * self.categorizer.scale
        e = np.exp(logits - logits.max())
        best = int(e.argmax())
        return names[best], float(e[best] / e.sum())

    def salient_vector(self, text: str, category: str) -> dict[str, float]:
        """The message's features weighted by how much each speaks for ``category``, L2-normalised.

        Two complaints about the same thing in different words share few character n-grams but the
        same telling ones (停电, 生产线): the cosine of these vectors measures "the same problem".
        Lexicon groups say "same category", not "same problem", so they are left out.
        """
        cols, vals = self.vectorizer.transform(text)
        if category not in self.categorizer.labels:
            return {self.vectorizer.name(int(c)): float(v) for c, v in zip(cols, vals, strict=True)}
        weights = self.categorizer.coef[self.categorizer.labels.index(category), cols]
        v = {
            name: float(value * w)
            for c, value, w in zip(cols, vals, weights, strict=True)
            if w > 0 and not (name := self.vectorizer.name(int(c))).startswith(LEXICON_PREFIX)
        }
        norm = float(np.sqrt(sum(t * t for t in v.values()))) or 1.0
        return {f: t / norm for f, t in v.items()}

    def copy(self) -> TextClassifier:
        """Own weights, shared vocabulary and tokenizer: learning in the copy leaves this one alone."""
        detector = self.detector.copy() if self.detector else None
        return TextClassifier(
            self.vectorizer, detector, self.categorizer.copy(), self.meta, self.appeal_threshold
        )

    def learn(self, text: str, label: str) -> None:
        """Fold one correction into the live weights, so the next prediction already reflects it."""
        cols, vals = self.vectorizer.transform(text)
        if label == NOT_APPEAL:
            if self.detector is None:  # until now every message was an appeal; others stay so
                self.detector = LinearScorer(
                    ["chatter"], np.zeros((1, self.vectorizer.size)), np.array([-1.0]), 1.0
                )
            _nudge_binary(self.detector, cols, vals, chatter=True)
            return
        if self.detector is not None:
            _nudge_binary(self.detector, cols, vals, chatter=False)
        if label not in self.categorizer.labels:
            self.categorizer.add_label(label)
        self.categorizer.nudge(cols, vals, self.categorizer.labels.index(label))

    # --- the model file ---------------------------------------------------------------
    def save(self, path: Path) -> None:
        save_model(self, path)

    @classmethod
    def load(
        cls, path: Path, *, tokenizer: Tokenizer | None = None, labels: Sequence[str] | None = None
    ) -> TextClassifier:
        return load_model(path, tokenizer or shared_tokenizer(), labels)


def _nudge_binary(detector: LinearScorer, cols: Any, vals: Any, *, chatter: bool, want: float = 0.7) -> None:
    """Steps on the chatter score until the example sits on its side with probability ``want``."""
    for _ in range(60):
        p = sigmoid(float(detector.logits(cols, vals)[0]))
        if (p if chatter else 1.0 - p) >= want:
            return
        step = 0.5 * ((p - 1.0) if chatter else p) / max(detector.scale, 1e-6)
        detector.coef[0, cols] -= step * vals
        detector.intercept[0] -= step


def save_model(model: TextClassifier, path: Path) -> None:
    """Arrays and one JSON header in an ``.npz``; written then renamed, so readers never see half."""
    v = model.vectorizer
    meta = {
        **model.meta,
        "format": FORMAT_VERSION,
        "tokenizer": TOKENIZER,
        "appeal_threshold": model.appeal_threshold,
        "categories": model.categorizer.labels,
        "category_calibration": [model.categorizer.scale, model.categorizer.shift],
        "detector_calibration": [model.detector.scale, model.detector.shift] if model.detector else None,
        "blocks": [{"offset": b.offset, "terms": sorted(b.terms, key=b.terms.__getitem__)} for b in v.blocks],
    }
    arrays: dict[str, Any] = {
        "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8),
        "category_coef": model.categorizer.coef.astype(np.float32),
        "category_intercept": model.categorizer.intercept,
    }
    for i, block in enumerate(v.blocks):
        arrays[f"idf_{i}"] = block.idf
    if model.detector is not None:
        arrays["detector_coef"], arrays["detector_intercept"] = (
            model.detector.coef.astype(np.float32),
            model.detector.intercept,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)


def load_model(path: Path, tokenizer: Tokenizer, labels: Sequence[str] | None = None) -> TextClassifier:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode())
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise ModelFileError(f"{path}: not a zhuqi model file ({exc})") from None
    if meta.get("format") != FORMAT_VERSION or meta.get("tokenizer") != TOKENIZER:
        raise ModelFileError(
            f"{path}: model format {meta.get('format')!r}, this version reads {FORMAT_VERSION}; retrain it"
        )
    if labels is not None and set(labels) != set(meta["categories"]):
        raise ModelFileError(_label_mismatch(path, meta["categories"], labels))
    return _from_arrays(meta, arrays, tokenizer)


def _label_mismatch(path: Path, trained: Sequence[str], wanted: Sequence[str]) -> str:
    missing, extra = sorted(set(wanted) - set(trained)), sorted(set(trained) - set(wanted))
    return (
        f"{path}: trained for other categories (the model lacks {', '.join(missing) or '-'}; "
        f"it has {', '.join(extra) or '-'} that the config does not); retrain with zhuqi classify train"
    )


def _from_arrays(meta: dict[str, Any], arrays: dict[str, Any], tokenizer: Tokenizer) -> TextClassifier:
    blocks = [
        kind({t: i for i, t in enumerate(b["terms"])}, arrays[f"idf_{n}"].astype(np.float64), b["offset"])
        for n, (kind, b) in enumerate(zip((CharBlock, Block), meta.pop("blocks"), strict=True))
    ]
    scale, shift = meta["category_calibration"]
    categorizer = LinearScorer(
        meta["categories"],
        arrays["category_coef"].astype(np.float64),
        arrays["category_intercept"].astype(np.float64),
        scale,
        shift,
    )
    detector = None
    if meta.get("detector_calibration"):
        d_scale, d_shift = meta["detector_calibration"]
        detector = LinearScorer(
            ["chatter"],
            arrays["detector_coef"].astype(np.float64),
            arrays["detector_intercept"].astype(np.float64),
            d_scale,
            d_shift,
        )
    return TextClassifier(
        Vectorizer(blocks, tokenizer), detector, categorizer, meta, float(meta["appeal_threshold"])
    )
