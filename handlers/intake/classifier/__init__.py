"""Is a chat message an appeal, of which category, for which department: a small trained model.

Pure Python at runtime (jieba for words; no numpy or scikit-learn). Build one with
``default_classifier(directory, cache_dir)``.
"""

from handlers.intake.classifier.adapter import ModelClassifier, default_classifier, default_model
from handlers.intake.classifier.model import Prediction, TextClassifier

__all__ = [
    "ModelClassifier",
    "Prediction",
    "TextClassifier",
    "default_classifier",
    "default_model",
]
