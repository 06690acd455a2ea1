"""Is a chat message an appeal, of which category, for which department: a small trained model.

Trained with scikit-learn, run with NumPy (jieba for words); the model file is arrays, never pickle.
Build one with ``default_classifier(roster, cache_dir)``.
"""

from handlers.intake.classifier.adapter import ModelClassifier, default_classifier, default_model
from handlers.intake.classifier.model import ModelFileError, Prediction, TextClassifier

__all__ = [
    "ModelClassifier",
    "ModelFileError",
    "Prediction",
    "TextClassifier",
    "default_classifier",
    "default_model",
]
