"""A transparent keyword classifier for tests that must not depend on the trained model.

It reads only the config's category keywords; chatter, urgency and routing are the production
rules (``handlers.intake.chatter``, ``handlers.intake.urgency``, ``Roster.route``).
"""

from __future__ import annotations

from handlers.intake.chatter import is_chatter
from handlers.intake.urgency import is_urgent
from handlers.roster.model import Roster
from handlers.verdict import Verdict
from storage.domain import NOT_APPEAL


class KeywordClassifier:
    def __init__(self, roster: Roster) -> None:
        self.roster = roster
        self.learned: dict[str, str] = {}

    def classify(self, text: str) -> Verdict:
        if is_chatter(text):
            return Verdict(False, NOT_APPEAL, 0.95)
        if text in self.learned:
            return self._appeal(text, self.learned[text], 1.0)
        hits = {c.name: sum(len(k) for k in c.keywords if k and k in text) for c in self.roster.categories}
        best = max(hits, key=lambda name: hits[name], default=None)
        if best is None or hits[best] == 0:
            return Verdict(False, NOT_APPEAL, 0.6)
        return self._appeal(text, best, min(0.95, 0.5 + 0.1 * hits[best]))

    def _appeal(self, text: str, category: str, confidence: float) -> Verdict:
        return Verdict(True, category, confidence, self.roster.route(category, text), is_urgent(text))

    def learn(self, text: str, category: str) -> None:
        self.learned[text] = category
