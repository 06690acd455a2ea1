"""共性问题: several enterprises raising the same problem within days are linked and leaders told once.

Runs inside the transaction that opens a ticket. A group is named after its first ticket's number
(``Issue.common_group``) and every member gets a "common" event. The big announcement goes out
once, when the group forms; a later similar ticket joins quietly (the coordinator is told
privately), so leaders never get the same alarm twice.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import timedelta

from handlers.context import Context
from handlers.replies import intake as say
from storage.domain import EventKind, IssueKind, Role
from storage.models import Issue, IssueEvent

log = logging.getLogger(__name__)


def bigram_overlap(a: str, b: str) -> float:
    """Fallback similarity for classifiers without ``similarity``: shared character bigrams."""
    x, y = (unicodedata.normalize("NFKC", t) for t in (a, b))
    ga, gb = {x[i : i + 2] for i in range(len(x) - 1)}, {y[i : i + 2] for i in range(len(y) - 1)}
    return len(ga & gb) / max(1, min(len(ga), len(gb)))


def similarity(ctx: Context, a: str, b: str, category: str) -> float:
    measure = getattr(ctx.services.classifier, "similarity", None)
    return float(measure(a, b, category)) if measure else bigram_overlap(a, b)


def _who(issue: Issue) -> str:
    return issue.enterprise or issue.reporter_id  # an unknown member counts as its own enterprise


async def link_common(ctx: Context, issue: Issue) -> int | None:
    """Link ``issue`` to similar recent appeals of other enterprises; returns the group, if any."""
    settings = ctx.services.settings
    if issue.kind != IssueKind.APPEAL or issue.common_group is not None or settings.common_problem_count < 2:
        return None
    since = ctx.now - timedelta(days=settings.common_problem_days)
    recent = await ctx.uow.repo.recent_appeals(issue.category, since, exclude_id=issue.id)
    similar = [
        other
        for other in recent
        if _who(other) != _who(issue)
        and similarity(ctx, issue.text, other.text, issue.category) >= settings.common_problem_similarity
    ]
    grouped = sorted({o.common_group for o in similar if o.common_group is not None})
    if grouped:
        await _mark(ctx, [issue], grouped[0])
        members = await ctx.uow.repo.common_group(grouped[0])
        for coordinator in ctx.coordinators():
            ctx.tell(coordinator, say.joined_common(issue.no, [m.no for m in members]))
        return grouped[0]
    # One ticket per enterprise: the most recent of each, and the new one for its own enterprise.
    chosen: dict[str, Issue] = {}
    for other in similar:
        chosen.setdefault(_who(other), other)
    if len(chosen) + 1 < settings.common_problem_count:
        return None
    members = sorted([issue, *chosen.values()], key=lambda i: i.no)
    group = members[0].no
    await _mark(ctx, members, group)
    _announce(ctx, issue, members)
    log.info("common problem #%s: %s", group, [m.no for m in members])
    return group


async def _mark(ctx: Context, members: list[Issue], group: int) -> None:
    for member in members:
        member.common_group = group
        await ctx.uow.repo.add_event(
            IssueEvent(
                issue_id=member.id,
                kind=EventKind.COMMON.value,
                actor="system",
                at=ctx.now,
                text=say.common_group_event(group),
                from_status=member.status,
                to_status=member.status,
                data={"group": group},
            )
        )


def _announce(ctx: Context, issue: Issue, members: list[Issue]) -> None:
    people = [m.id for m in ctx.directory.with_role(Role.LEADER)] + ctx.coordinators()
    text = say.common_problem(ctx.services.settings.common_problem_days, len({_who(m) for m in members}),
                              issue.category, issue.text, [m.no for m in members], ctx.at(people))  # fmt: skip
    if issue.room_id is not None:
        ctx.say(text, people, room_id=issue.room_id)
    else:
        for person in people:
            ctx.tell(person, text)
