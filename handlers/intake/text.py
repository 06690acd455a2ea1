"""The one normal form of a message that the classifier and the urgency rule both read."""

from __future__ import annotations

import re
import unicodedata

_URL = re.compile(r"https?://\S+|www\.\S+")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Full-width to half-width, lower case; URLs and numbers collapse to one symbol each."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _URL.sub("🔗", text)
    text = _DIGITS.sub("0", text)
    return _SPACE.sub(" ", text).strip()
