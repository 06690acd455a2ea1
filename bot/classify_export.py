"""`zhuqi classify export`: the ledger's tickets as training rows (text,label), so a city can train
on its own history with `zhuqi classify train`. A cell that starts like a formula (=, +, -, @) is
written with a leading apostrophe, so a spreadsheet opening the file never runs it; training reads
the text back as it was.

The label is a ticket's final category, after 归类 and 转办 corrections. Candidates the coordinator
dismissed (驳回) are exported as 非诉求: real chatter the model once mistook for an appeal. Tickets
still waiting as candidates, dismissed open tickets (duplicates, out of scope) and 交办 tasks
written by leaders are left out.
"""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from bot.config import load_config
from handlers.intake.classifier.evaluation import guarded
from storage.db import create_engine, migrate, session_factory
from storage.domain import NOT_APPEAL, Outcome, Status
from storage.models import Issue
from storage.uow import UnitOfWorkFactory

COLUMNS = ["text", "label", "no", "original_category", "status", "created_at"]


async def export_rows(database_url: str) -> list[list[str]]:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        async with UnitOfWorkFactory(session_factory(engine))() as uow:
            dismissed_candidates = await uow.tickets.dismissed_candidate_ids()
            rows = []
            for issue in await uow.tickets.appeals():
                label = _label(issue, dismissed_candidates)
                if label is not None:
                    rows.append(
                        [
                            issue.text,
                            label,
                            str(issue.no),
                            issue.original_category,
                            issue.status,
                            issue.created_at.isoformat(),
                        ]
                    )
            return rows
    finally:
        await engine.dispose()


def _label(issue: Issue, dismissed_candidates: set[int]) -> str | None:
    """The category; chatter for a candidate 营商办 dismissed; None for what teaches nothing
    (a candidate nobody decided, or a real appeal dismissed for another reason)."""
    if issue.outcome == Outcome.DISMISSED:
        return NOT_APPEAL if issue.id in dismissed_candidates else None
    return None if issue.status == Status.CANDIDATE else issue.category


def export_csv(out: Path, config_path: Path | None = None) -> int:
    """Write the CSV; returns the number of rows. DATABASE_URL / the config pick the database."""
    config = load_config(config_path)
    rows = asyncio.run(export_rows(config.database_url))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows([[guarded(cell) for cell in row] for row in rows])
    return len(rows)
