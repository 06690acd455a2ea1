"""共性问题: several enterprises raising the same problem within days are linked and leaders told once.

Runs inside the transaction that opens a ticket. A group is named after its first ticket's number
(``Issue.common_group``) and every member gets a "common" event. The big announcement goes out
once, when the group forms; a later similar ticket joins quietly (the coordinator is told
privately), so leaders never get the same alarm twice.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from datetime import timedelta

from handlers.context import Context
from handlers.replies import intake as say
from storage.domain import EventKind, IssueKind, Priority, Role
from storage.models import Issue, IssueEvent
from storage.tickets import SimilarAppeal

log = logging.getLogger(__name__)
FALLBACK_TERMS = 40


def bigram_overlap(a: str, b: str) -> float:
    """Fallback similarity for classifiers without ``similarities``: shared character bigrams."""
    ga, gb = _bigrams(a), _bigrams(b)
    return len(ga & gb) / max(1, min(len(ga), len(gb)))


def _bigrams(text: str) -> set[str]:
    x = unicodedata.normalize("NFKC", text)
    return {x[i : i + 2] for i in range(len(x) - 1)}


def signature(ctx: Context, text: str, category: str) -> list[str]:
    """The terms an appeal is indexed by (the classifier's telling features, else bigrams)."""
    own = getattr(ctx.services.classifier, "signature", None)
    return list(own(text, category)) if own else sorted(_bigrams(text))[:FALLBACK_TERMS]


def similarities(ctx: Context, text: str, others: list[str], category: str) -> list[float]:
    measure = getattr(ctx.services.classifier, "similarities", None)
    if measure:
        return [float(s) for s in measure(text, others, category)]
    return [bigram_overlap(text, other) for other in others]


Appeal = Issue | SimilarAppeal  # the new ticket, or a recent one as the term index found it


def _who(issue: Appeal) -> str:
    return issue.enterprise or issue.reporter_id  # an unknown member counts as its own enterprise


async def link_common(ctx: Context, issue: Issue, *, new: bool = False) -> int | None:
    """Link ``issue`` to similar recent appeals of other enterprises; returns the group, if any.
    ``new``: the ticket was opened in this transaction, so it has no signature to replace yet."""
    settings = ctx.services.settings
    if issue.kind != IssueKind.APPEAL or issue.common_group is not None or settings.common_problem_count < 2:
        return None
    terms = signature(ctx, issue.text, issue.category)
    similar = await _similar(ctx, issue, terms)
    await ctx.uow.tickets.add_terms(issue.id, terms, issue.created_at, fresh=new)
    grouped = sorted({o.common_group for o in similar if o.common_group is not None})
    if grouped:
        return await _join(ctx, issue, grouped[0])
    # One ticket per enterprise: the most recent of each, and the new one for its own enterprise.
    chosen: dict[str, SimilarAppeal] = {}
    for other in sorted(similar, key=lambda o: o.created_at, reverse=True):
        chosen.setdefault(_who(other), other)
    if len(chosen) + 1 < settings.common_problem_count:
        return None
    members: list[Appeal] = sorted([issue, *chosen.values()], key=lambda i: i.no)
    group = members[0].no
    await _mark(ctx, members, group)
    _announce(ctx, issue, members)
    log.info("common problem #%s: %s", group, [m.no for m in members])
    return group


async def _similar(ctx: Context, issue: Issue, terms: list[str]) -> list[SimilarAppeal]:
    """Recent appeals of other enterprises alike enough: candidates from the term index (a bounded
    number, whatever the history), then the classifier's measure on each."""
    settings = ctx.services.settings
    since = ctx.now - timedelta(days=settings.common_problem_days)
    found = await ctx.uow.tickets.similar_appeals(issue.category, terms, since, exclude_id=issue.id)
    others = [o for o in found if _who(o) != _who(issue)]
    scores = similarities(ctx, issue.text, [o.text for o in others], issue.category)
    return [o for o, score in zip(others, scores, strict=True) if score >= settings.common_problem_similarity]


async def _join(ctx: Context, issue: Issue, group: int) -> int:
    """A later similar appeal joins the group quietly; 营商办 is told privately."""
    await _mark(ctx, [issue], group)
    members, count = await ctx.uow.tickets.common_group_glimpse(group, say.LISTED - 1)
    for coordinator in ctx.coordinators():  # the latest count replaces one not yet sent
        note = say.joined_common(issue.no, members, count)
        ctx.tell(coordinator, note, topic=f"common:{group}", priority=Priority.REMINDER)
    return group


async def _mark(ctx: Context, members: Sequence[Appeal], group: int) -> None:
    await ctx.uow.tickets.set_common_group([m.id for m in members], group)
    await ctx.uow.tickets.add_events(
        [
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
            for member in members
        ]
    )


def _announce(ctx: Context, issue: Issue, members: list[Appeal]) -> None:
    unit = issue.unit or ctx.roster.root
    people = ctx.roster.nearest(Role.LEADER, unit) + ctx.coordinators(unit)
    text = say.common_problem(
        ctx.services.settings.common_problem_days,
        len({_who(m) for m in members}),
        issue.category,
        issue.text,
        [m.no for m in members],
        ctx.at(people),
    )
    if issue.room_id is not None:
        ctx.say(text, people, room_id=issue.room_id)
    else:
        for person in people:
            ctx.tell(person, text)
