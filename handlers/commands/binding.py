"""Who is who, from the chat: an unknown member binds to an enterprise (绑定), the coordinator confirms."""

from __future__ import annotations

from handlers.context import Context
from handlers.parser import ArgSpec, ParsedCommand
from handlers.replies import binding as say
from handlers.replies import texts
from handlers.roster.model import Enterprise
from handlers.router import command
from handlers.tickets import usage_reply
from storage.domain import BindingStatus, Role
from storage.models import MemberBinding

COORDINATOR = frozenset({Role.COORDINATOR})


def find_enterprise(ctx: Context, name: str) -> Enterprise | None:
    """By full name or short name, then by a unique partial match (people type 华科 for 华科电子)."""
    exact = ctx.roster.enterprise(name)
    if exact is not None:
        return exact
    partial = [e for e in ctx.roster.enterprises if name in e.name or (e.short and name in e.short)]
    return partial[0] if len(partial) == 1 else None


async def bind(ctx: Context, cmd: ParsedCommand) -> None:
    """新成员绑定所在企业（营商办确认）"""
    if ctx.roster.member(ctx.actor.id) is not None:
        ctx.reply(say.already_listed(ctx.actor.enterprise or texts.ROLE_NAMES[ctx.actor.role]))
        return
    if not cmd.rest:
        ctx.reply(usage_reply(cmd))
        return
    enterprise = find_enterprise(ctx, cmd.rest)
    if enterprise is None:
        ctx.reply(say.unknown_enterprise(cmd.rest))
        return
    if ctx.actor.enterprise == enterprise.name:
        ctx.reply(say.already_bound(enterprise.name))
        return
    binding = MemberBinding(
        member_id=ctx.actor.id,
        member_name=ctx.actor.name,
        enterprise=enterprise.name,
        status=BindingStatus.PENDING,
        requested_at=ctx.now,
    )
    await ctx.uow.bindings.add(binding)
    coordinators = ctx.coordinators()
    ctx.reply(say.requested(binding.id, ctx.actor.name, enterprise.name, ctx.at(coordinators)), coordinators)


async def _decide(ctx: Context, cmd: ParsedCommand, confirm: bool) -> None:
    if cmd.number is None:
        ctx.reply(usage_reply(cmd))
        return
    binding = await ctx.uow.bindings.get(cmd.number)
    if binding is None:
        ctx.reply(say.unknown_request(cmd.number))
        return
    if binding.status != BindingStatus.PENDING:
        ctx.reply(say.already_decided(binding.id, binding.status == BindingStatus.CONFIRMED))
        return
    binding.status = BindingStatus.CONFIRMED if confirm else BindingStatus.REJECTED
    binding.decided_by, binding.decided_at = ctx.actor.id, ctx.now
    if confirm:
        ctx.reply(say.confirmed(binding.member_name, binding.enterprise), [binding.member_id])
    else:
        ctx.reply(say.rejected(binding.id, binding.member_name, binding.enterprise))


async def confirm_bind(ctx: Context, cmd: ParsedCommand) -> None:
    """确认新成员的企业绑定"""
    await _decide(ctx, cmd, confirm=True)


async def reject_bind(ctx: Context, cmd: ParsedCommand) -> None:
    """拒绝新成员的企业绑定"""
    await _decide(ctx, cmd, confirm=False)


COMMANDS = (
    command(
        bind,
        "绑定",
        "bind",
        spec=ArgSpec.TEXT,
        usage="<企业名>",
        example="华科电子",
        roles=frozenset({Role.ENTERPRISE}),
    ),
    command(
        confirm_bind,
        "确认绑定",
        "confirm-bind",
        spec=ArgSpec.NO,
        usage="<申请编号>",
        example="3",
        roles=COORDINATOR,
    ),
    command(
        reject_bind,
        "拒绝绑定",
        "reject-bind",
        spec=ArgSpec.NO,
        usage="<申请编号>",
        example="3",
        roles=COORDINATOR,
    ),
)
