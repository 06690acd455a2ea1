"""政策找企业 in the chat: 政策 申请 政策统计."""

from __future__ import annotations

from handlers.context import Context
from handlers.intake.policy_answer import POLICY_CATEGORY, firm_of, note_asked, policy_department
from handlers.parser import ArgSpec, ParsedCommand
from handlers.policy import Policy
from handlers.replies import policies as say
from handlers.replies import texts
from handlers.router import command
from handlers.tickets import announce, open_issue, usage_reply
from handlers.verdict import Verdict
from storage.domain import ACTIVE, PolicyUseKind, Role, Status

LEADERS = frozenset({Role.LEADER, Role.COORDINATOR})


async def policy(ctx: Context, cmd: ParsedCommand) -> None:
    """查政策：政策 <编号或关键词>"""
    library = ctx.services.policies
    if library is None:
        ctx.reply(say.no_library())
        return
    if cmd.number is None:
        ctx.reply(say.found(cmd.tail, library.search(cmd.tail)))
        return
    found = library.get(cmd.number)
    if found is None:
        ctx.reply(say.unknown_policy(cmd.number))
        return
    enterprise = ctx.roster.enterprise(ctx.actor.enterprise)
    if ctx.actor.role is Role.ENTERPRISE:
        await note_asked(ctx, [found])
    ctx.reply(say.detail(found, found.fits(enterprise) if enterprise else None))


async def apply_for(ctx: Context, cmd: ParsedCommand) -> None:
    """申请一项政策（转给负责部门办理）"""
    library = ctx.services.policies
    chosen = library.get(cmd.number) if library is not None and cmd.number is not None else None
    if cmd.number is None:
        ctx.reply(usage_reply(cmd))
    elif chosen is None:
        ctx.reply(say.unknown_policy(cmd.number))
    elif not chosen.open_on(ctx.now.date()):
        ctx.reply(say.expired(chosen))
    elif not chosen.fits(ctx.roster.enterprise(ctx.actor.enterprise)):
        ctx.reply(say.not_fitting(chosen))
    else:
        await _apply(ctx, chosen, cmd.tail)


async def _apply(ctx: Context, chosen: Policy, note: str) -> None:
    """A 政策咨询 ticket for the policy's department, unless this enterprise's earlier one is still open."""
    firm = firm_of(ctx.actor)
    earlier = (await ctx.uow.policies.applied(chosen.id)).get(firm)
    issue = await ctx.uow.tickets.by_no(earlier) if earlier else None
    if issue is not None and issue.status in ACTIVE:
        ctx.reply(say.applied_before(chosen.id, issue.no, texts.status_name(issue.status)))
        return
    verdict = Verdict(True, POLICY_CATEGORY, 1.0, policy_department(ctx, chosen))
    issue = await open_issue(ctx, say.application_text(chosen, note), verdict, status=Status.OPEN)
    await ctx.uow.policies.record(
        chosen.id,
        firm,
        PolicyUseKind.APPLIED,
        ctx.now,
        reason=str(issue.no),
        member_id=ctx.actor.id,
        room_id=ctx.room_id,
    )
    announce(ctx, issue)


async def policy_stats(ctx: Context, cmd: ParsedCommand) -> None:
    """每项政策告知、咨询、申请的企业数"""
    library = ctx.services.policies
    if library is None:
        ctx.reply(say.no_library())
        return
    counts = await ctx.uow.policies.counts()

    def n(p: Policy, kind: PolicyUseKind) -> int:
        return counts.get((p.id, kind.value), 0)

    K = PolicyUseKind
    ctx.reply(say.stats([(p, n(p, K.TOLD), n(p, K.ASKED), n(p, K.APPLIED)) for p in library.policies]))


COMMANDS = (
    command(policy, "政策", "policy", spec=ArgSpec.NO_OPT_TEXT, usage="<编号或关键词>", example="稳岗"),
    command(
        apply_for,
        "申请",
        "apply",
        spec=ArgSpec.NO_OPT_TEXT,
        usage="<政策编号> [说明]",
        example="3",
        roles=frozenset({Role.ENTERPRISE}),
        chat_for_others=True,
    ),
    command(policy_stats, "政策统计", "policy-stats", spec=ArgSpec.NONE, usage="", example="", roles=LEADERS),
)
