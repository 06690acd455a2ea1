"""Obvious chatter that never reaches the classifier: acknowledgements, emoji, bare links, 3
characters or fewer."""

from __future__ import annotations

import re

ACKS = re.compile(
    r"^(收到|好的?|好滴|嗯+|ok|OK|谢谢|感谢|多谢|辛苦|赞|点赞|支持|明白|了解|已阅|已收到|收到谢谢|谢谢领导|感谢领导|"
    r"[\W_]|\[[^\]]{1,4}\])+[!！。.~～]*$"
)
LINK = re.compile(r"https?://\S+")


def is_chatter(text: str) -> bool:
    stripped = LINK.sub("", text).strip()
    return not stripped or len(stripped) <= 3 or bool(ACKS.match(stripped))
