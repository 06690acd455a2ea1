"""A transparent keyword classifier: config keywords + chatter rules.

It is what an operator's keywords alone decide; the trained model (handlers.classifier) builds
on the same keywords. It stays useful as a fallback when no model is available.
"""

from __future__ import annotations

import re

from handlers.directory import NOT_APPEAL, Directory
from handlers.intake_api import Verdict

URGENT_CUES = (
    "停产",
    "停工",
    "断电",
    "停电",
    "停水",
    "断水",
    "断气",
    "工资发不出",
    "发不出工资",
    "欠薪",
    "火灾",
    "泄漏",
    "泄露",
    "爆炸",
    "讨薪",
    "堵门",
)
ACKS = re.compile(
    r"^(收到|好的?|好滴|嗯+|ok|OK|谢谢|感谢|多谢|辛苦|赞|点赞|支持|明白|了解|已阅|已收到|收到谢谢|谢谢领导|感谢领导|"
    r"[\W_]|\[[^\]]{1,4}\])+[!！。.~～]*$"
)
LINK = re.compile(r"https?://\S+")


def is_chatter(text: str) -> bool:
    """Obvious non-appeals: acknowledgements, emoji, bare links, very short lines."""
    stripped = LINK.sub("", text).strip()
    return not stripped or len(stripped) <= 3 or bool(ACKS.match(stripped))


def is_urgent(text: str) -> bool:
    return any(cue in text for cue in URGENT_CUES)


def route(directory: Directory, category: str, text: str) -> str | None:
    """A department named in the text wins over the category's default."""
    named = directory.department_mentioned(text)
    if named is not None:
        return named.name
    cat = directory.category(category)
    return cat.department if cat else None


class KeywordClassifier:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.learned: dict[str, str] = {}

    def classify(self, text: str) -> Verdict:
        if is_chatter(text):
            return Verdict(False, NOT_APPEAL, 0.95)
        if text in self.learned:
            category = self.learned[text]
            return Verdict(True, category, 1.0, route(self.directory, category, text), is_urgent(text))
        hits = {c.name: sum(len(k) for k in c.keywords if k and k in text) for c in self.directory.categories}
        best = max(hits, key=lambda name: hits[name], default=None)
        if best is None or hits[best] == 0:
            return Verdict(False, NOT_APPEAL, 0.6)
        confidence = min(0.95, 0.5 + 0.1 * hits[best])
        return Verdict(True, best, confidence, route(self.directory, best, text), is_urgent(text))

    def learn(self, text: str, category: str) -> None:
        self.learned[text] = category
