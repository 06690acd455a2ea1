"""The classifier keeps what coordinators taught it across restarts.

Corrections are applied to the live model at once (``Classifier.learn`` after commit); the model
file on disk is never rewritten, so at start-up the same corrections are replayed from the ledger,
oldest first:

- 归类 (event "recategorize", data.category) — the corrected category;
- 转办 that changed the category (event "transfer" with data.category);
- 驳回 of a candidate (event "dismiss" from "candidate") — the text was chatter, ``非诉求``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from handlers.verdict import Classifier
from storage.domain import NOT_APPEAL, Action, Status
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


def training_label(kind: str, from_status: str | None, data: dict[str, Any]) -> str | None:
    """The label one ledger event teaches, or None when it teaches nothing."""
    if kind in (Action.RECATEGORIZE, Action.TRANSFER):
        category = data.get("category")
        return category if isinstance(category, str) and category else None
    if kind == Action.DISMISS and from_status == Status.CANDIDATE:
        return NOT_APPEAL
    return None


async def replay_corrections(uow: Callable[[], UnitOfWork], classifier: Classifier) -> int:
    """Feed the ledger's corrections to ``classifier``; returns how many it learned."""
    started = time.perf_counter()
    async with uow() as u:
        rows = await u.tickets.corrections()
    learned = 0
    for kind, text, from_status, data in rows:
        label = training_label(kind, from_status, data)
        if label is not None:
            classifier.learn(text, label)
            learned += 1
    if learned:
        log.info("replayed %d classifier corrections in %.2f s", learned, time.perf_counter() - started)
    return learned
