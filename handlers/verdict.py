"""The one interface between intake and whatever classifies text.

The workflow only ever calls ``Classifier.classify`` and ``Classifier.learn``; swapping the
keyword classifier for a trained model changes nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Verdict:
    """What a classifier thinks of one message.

    ``category`` is a configured category name, or ``roster.NOT_APPEAL`` when the message is
    chatter. ``confidence`` is in [0, 1]: how sure the classifier is of *this* label.
    ``department`` is the routed department name (a department named in the text wins over the
    category's default), or None when nobody is configured for the category.
    """

    is_appeal: bool
    category: str
    confidence: float
    department: str | None = None
    urgent: bool = False


class Classifier(Protocol):
    def classify(self, text: str) -> Verdict: ...

    def learn(self, text: str, category: str) -> None:
        """Take a coordinator's correction (or a 转办 that changed the category) into account."""
