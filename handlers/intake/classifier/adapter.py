"""The trained model behind the ``Classifier`` protocol: keyword steering, urgency and routing."""

from __future__ import annotations

import functools
import logging
import threading
import time
from pathlib import Path

from handlers.intake.classifier.features import shared_tokenizer
from handlers.intake.classifier.model import ModelFileError, TextClassifier, data_hash
from handlers.intake.text import normalize
from handlers.intake.urgency import is_urgent
from handlers.roster.model import Roster
from handlers.verdict import Verdict
from storage.domain import NOT_APPEAL

log = logging.getLogger(__name__)

SEED_PATH = Path(__file__).with_name("data") / "seed.csv"
MODEL_FILE = "classifier-seed.npz"

# Score added per configured keyword found in the text, counting at most MAX_KEYWORD_HITS hits (a
# category's one-vs-rest score is about +1 when it fits and -1 when not).
KEYWORD_BOOST = 0.5
SIGNATURE_SIZE = 12
# Salient vectors kept (about 2 KB each): the week's tickets come back as 共性问题 candidates of
# every new appeal of their category, and the new appeal's own is needed twice (index, measure).
SALIENT_CACHE = 4096
MAX_KEYWORD_HITS = 3


class ModelClassifier:
    """Implements ``handlers.verdict.Classifier`` over a ``TextClassifier``.

    A lock guards the weights: ``classify`` may run in an executor thread while ``learn`` takes a
    coordinator's correction, and a prediction must never see a half-applied update.
    """

    def __init__(self, model: TextClassifier, roster: Roster, *, keyword_boost: float = KEYWORD_BOOST):
        self.model = model
        self.roster = roster
        self.keyword_boost = keyword_boost
        self._keywords = [
            (c.name, tuple(normalize(k) for k in c.keywords if k.strip())) for c in roster.categories
        ]
        self._lock = threading.Lock()
        # model.salient_vector, remembered for the most recent texts (callers hold the lock).
        self._salient_vector = functools.lru_cache(maxsize=SALIENT_CACHE)(model.salient_vector)

    def keyword_bias(self, text: str) -> dict[str, float]:
        """Operators steer by editing category keywords in config: no retraining needed."""
        norm = normalize(text)
        bias = {}
        for name, keywords in self._keywords:
            hits = sum(1 for k in keywords if k in norm)
            if hits:
                bias[name] = self.keyword_boost * min(hits, MAX_KEYWORD_HITS)
        return bias

    def classify(self, text: str) -> Verdict:
        with self._lock:
            prediction = self.model.predict(text, category_bias=self.keyword_bias(text))
        if not prediction.is_appeal:
            return Verdict(is_appeal=False, category=NOT_APPEAL, confidence=prediction.confidence)
        return Verdict(
            is_appeal=True,
            category=prediction.category,
            confidence=prediction.confidence,
            department=self.roster.route(prediction.category, text),
            urgent=is_urgent(text),
        )

    def similarities(self, text: str, others: list[str], category: str) -> list[float]:
        """How alike ``text`` is to each of ``others`` (appeals of ``category``), in [0, 1], the
        text's vector made once: the measure that spots 共性问题."""
        with self._lock:
            x = self._salient_vector(text, category)
            ys = [self._salient_vector(o, category) for o in others]
        return [sum(v * y.get(f, 0.0) for f, v in x.items()) for y in ys]

    def signature(self, text: str, category: str, size: int = SIGNATURE_SIZE) -> list[str]:
        """The features that speak most for ``category`` in ``text``: two appeals alike enough to be
        one 共性问题 share some of them, so a database index on them finds the candidates."""
        with self._lock:
            v = self._salient_vector(text, category)
        return [f[:64] for f, _ in sorted(v.items(), key=lambda kv: -kv[1])[:size]]

    def learn(self, text: str, category: str) -> None:
        with self._lock:
            self.model.learn(text, category)
            self._salient_vector.cache_clear()  # the weights moved: every vector is stale
        log.debug("classifier learned %r as %s", text[:40], category)


def default_model(cache_dir: Path, seed_path: Path = SEED_PATH) -> TextClassifier:
    """The model trained on the seed corpus, cached in ``cache_dir``; retrained when the cached file
    was trained on other data (its recorded hash) or by another version."""
    from handlers.intake.classifier.evaluation import read_rows

    tokenizer = shared_tokenizer()
    path, rows = cache_dir / MODEL_FILE, read_rows(seed_path)
    if path.exists():
        try:
            model = TextClassifier.load(path, tokenizer=tokenizer)
            if model.meta.get("data_sha256") == data_hash(rows):
                return model
        except ModelFileError as exc:
            log.warning("cached classifier unusable (%s); retraining", exc)
    started = time.perf_counter()
    model = TextClassifier.train(rows, tokenizer=tokenizer)
    model.save(path)
    log.info(
        "classifier trained from %s in %.1f s, cached at %s", seed_path, time.perf_counter() - started, path
    )
    return model


def default_classifier(roster: Roster, cache_dir: Path, model_file: Path | None = None) -> ModelClassifier:
    """The seed model, or the city's own (``[intake] model_file``), which must know the configured
    categories."""
    if model_file is None:
        return ModelClassifier(default_model(cache_dir), roster)
    labels = [c.name for c in roster.categories]
    return ModelClassifier(
        TextClassifier.load(model_file, tokenizer=shared_tokenizer(), labels=labels), roster
    )
