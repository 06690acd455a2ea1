"""政策找企业 in the chat: policy lines under a ticket's acknowledgement, or a full answer.

A how-to question ("稳岗返还怎么申请？", 政策咨询 or the policy's own category) that the library
answers needs no department: the ticket is opened and at once resolved by the system with outcome
"answered", and the enterprise is asked to rate. Why a ticket rather than no ticket: the question
stays in the ledger (台账) and the statistics, the usual unrated reminder follows it up, and
「评价 N 不满意」 hands it to the policy's department (else the category's) the ordinary way (see
handlers.commands.flow.rate) instead of making the enterprise start over. The department gets no
ticket in its ranking unless that happens.
"""

from __future__ import annotations

import re
from dataclasses import replace

from handlers.context import Context
from handlers.lifecycle import Change, apply
from handlers.policy.library import Match, Policy
from handlers.replies import intake as say
from handlers.roster.model import Member
from handlers.tickets import open_issue
from handlers.verdict import Verdict
from storage.domain import SYSTEM, Action, Outcome, PolicyUseKind, Status
from storage.models import Issue

POLICY_CATEGORY = "政策咨询"
INQUIRY = re.compile(
    r"怎么|如何|怎样|有没有|有哪些|哪些|是否|能否|能不能|可不可以|可以申请|什么条件|条件|流程|请问|咨询|了解|想问|[?？]"
)
# Words of a complaint: the policy exists, but something went wrong; a department must act.
COMPLAINT = re.compile(
    r"还没|迟迟|一直没|没到账|不给|拖了|卡在|卡了|被拒|不批|不予|投诉|为什么不|几个月|半年"
)


def policy_matches(ctx: Context, text: str) -> list[Match]:
    library = ctx.services.policies
    if library is None:
        return []
    return library.match(text, ctx.roster.enterprise(ctx.actor.enterprise))


def firm_of(member: Member) -> str:
    """Whom a policy record is about: the member's enterprise (or, unbound, the member)."""
    return member.enterprise or f"（{member.name}）"


def policy_department(ctx: Context, policy: Policy) -> str | None:
    """Who handles a policy: its own department, else its category's."""
    dept = ctx.roster.department(policy.department) if policy.department else None
    if dept is not None:
        return dept.name
    category = ctx.roster.category(policy.category or POLICY_CATEGORY)
    return category.department if category else None


def referral_department(ctx: Context, text: str, category_name: str) -> str | None:
    """Who takes on a library-answered question when the answer was not enough: the department of
    the policy it asked about, else the category's."""
    matches = policy_matches(ctx, text)
    if matches:
        return policy_department(ctx, matches[0].policy)
    category = ctx.roster.category(category_name)
    return category.department if category else None


async def note_asked(ctx: Context, policies: list[Policy]) -> None:
    """An enterprise asked about these policies (once per policy and enterprise, for 政策统计)."""
    for p in policies:
        await ctx.uow.policies.record(
            p.id,
            firm_of(ctx.actor),
            PolicyUseKind.ASKED,
            ctx.now,
            member_id=ctx.actor.id,
            room_id=ctx.room_id,
        )


def policy_lines(matches: list[Match]) -> list[str]:
    return say.policy_lines([m.policy for m in matches])


def fully_answers(verdict: Verdict, text: str, matches: list[Match]) -> bool:
    return (
        bool(matches)
        and verdict.is_appeal
        # A how-to question in the policy's own field (留抵退税怎么申请 → 税费) is answered too.
        and verdict.category in (POLICY_CATEGORY, matches[0].policy.category)
        and INQUIRY.search(text) is not None
        and COMPLAINT.search(text) is None
    )


async def answer_with_policies(ctx: Context, text: str, verdict: Verdict, matches: list[Match]) -> Issue:
    """Open the ticket and resolve it by the system with the library's answer."""
    issue = await open_issue(ctx, text, replace(verdict, department=None), status=Status.OPEN)
    titles = [m.policy.title for m in matches]
    change = Change(text="；".join(titles), fields={"outcome": Outcome.ANSWERED})
    await ctx.uow.tickets.add_event(apply(issue, Action.ANSWER, SYSTEM, ctx.now, change))
    department = referral_department(ctx, issue.text, issue.category)
    policies = [m.policy for m in matches]
    ctx.reply(say.policy_answer(issue.no, policies, ctx.at([ctx.actor.id]), department), [ctx.actor.id])
    return issue
