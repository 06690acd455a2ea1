"""Intake: is an enterprise member's message an appeal, a follow-up to their ticket, or chatter?"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import timedelta

from handlers.context import Context
from handlers.intake.chatter import is_chatter
from handlers.intake.common_problems import link_common
from handlers.intake.policy_answer import (
    POLICY_CATEGORY,
    answer_with_policies,
    fully_answers,
    note_asked,
    policy_department,
    policy_lines,
    policy_matches,
)
from handlers.lifecycle import Change, apply
from handlers.replies import intake as say
from handlers.replies import tickets as tickets_say
from handlers.tickets import announce, open_issue
from handlers.verdict import Verdict
from storage.domain import Action, Role, Status
from storage.tickets import OpenTicket

log = logging.getLogger(__name__)

CONTINUATION = re.compile(
    r"^(另外|还有|补充|而且|并且|对了|再说|再补充|具体|地址|联系|电话|我们|目前|现在|之前|上次)"
)


async def intake(ctx: Context) -> None:
    """Open, extend or ignore. Only enterprise members' free text is considered."""
    text = ctx.message.text.strip()
    if ctx.actor.role is not Role.ENTERPRISE or is_chatter(text):
        return
    verdict = await ctx.classify(text)
    since = ctx.now - timedelta(minutes=ctx.services.settings.follow_up_minutes)
    recent = await ctx.uow.tickets.latest_open_by_reporter(ctx.actor.id, since)
    if recent is not None and _continues(recent, text, verdict, ctx.services.settings.confidence_threshold):
        await _supplement(ctx, recent, text)
        return
    if not verdict.is_appeal:
        return
    matches = policy_matches(ctx, text)
    await note_asked(ctx, [m.policy for m in matches])
    if fully_answers(verdict, text, matches):
        # A policy question the library answers: no department needed (see handlers.intake.policy_answer).
        await answer_with_policies(ctx, text, verdict, matches)
        return
    if verdict.confidence < ctx.services.settings.confidence_threshold:
        await _candidate(ctx, text, verdict)
        return
    if matches and verdict.category == POLICY_CATEGORY and not ctx.roster.department_mentioned(text):
        # A question about a policy the library has goes to the department that runs the policy.
        verdict = replace(verdict, department=policy_department(ctx, matches[0].policy) or verdict.department)
    issue = await open_issue(ctx, text, verdict, status=Status.OPEN)
    announce(ctx, issue, policy_lines(matches))
    await link_common(ctx, issue, new=True)


def _continues(issue: OpenTicket, text: str, verdict: Verdict, threshold: float) -> bool:
    if CONTINUATION.match(text):
        return True
    if verdict.is_appeal:
        # A confident appeal about something else is a new ticket, not a follow-up.
        return verdict.category == issue.category or verdict.confidence < threshold
    return len(text) >= 6


async def _supplement(ctx: Context, recent: OpenTicket, text: str) -> None:
    issue = await ctx.uow.tickets.get(recent.id)
    event = apply(issue, Action.SUPPLEMENT, ctx.actor.id, ctx.now, Change(text=text))
    await ctx.uow.tickets.add_event(event)
    ctx.reply(tickets_say.supplemented(issue.no))


async def _candidate(ctx: Context, text: str, verdict: Verdict) -> None:
    """Doubtful: no group announcement; the coordinator confirms or dismisses privately."""
    issue = await open_issue(ctx, text, verdict, status=Status.CANDIDATE)
    note = say.candidate(issue.no, issue.category, ctx.actor.name, ctx.actor.enterprise, text)
    for coordinator in ctx.coordinators():
        ctx.tell(coordinator, note)
    # The sender hears at once that someone will look: no number yet, the group sees it on 受理.
    ctx.reply(say.candidate_ack(ctx.at([ctx.actor.id])), [ctx.actor.id])
    log.info("ticket #%s held as candidate (confidence %.2f)", issue.no, verdict.confidence)
