"""Who is who, from the chat: an unknown member binds to an enterprise (绑定), the coordinator confirms."""

from __future__ import annotations

from handlers.context import Context
from handlers.parser import ArgSpec, ParsedCommand
from handlers.replies import texts
from handlers.roster import Enterprise
from handlers.router import command
from handlers.tickets import usage_reply
from storage.domain import BindingStatus, Role
from storage.models import MemberBinding

COORDINATOR = frozenset({Role.COORDINATOR})


def find_enterprise(ctx: Context, name: str) -> Enterprise | None:
    """By full name or short name, then by a unique partial match (people type 华科 for 华科电子)."""
    exact = ctx.directory.enterprise(name)
    if exact is not None:
        return exact
    partial = [e for e in ctx.directory.enterprises if name in e.name or (e.short and name in e.short)]
    return partial[0] if len(partial) == 1 else None


async def bind(ctx: Context, cmd: ParsedCommand) -> None:
    """新成员绑定所在企业（营商办确认）"""
    if ctx.directory.member(ctx.actor.id) is not None:
        ctx.reply(f"您已在名册中（{ctx.actor.enterprise or texts.ROLE_NAMES[ctx.actor.role]}），无需绑定。")
        return
    if not cmd.rest:
        ctx.reply(usage_reply(cmd))
        return
    enterprise = find_enterprise(ctx, cmd.rest)
    if enterprise is None:
        ctx.reply(f"没有找到企业「{cmd.rest}」，请写企业全称或简称，例如「绑定 华科电子」。")
        return
    if ctx.actor.enterprise == enterprise.name:
        ctx.reply(f"您已绑定{enterprise.name}，无需重复。")
        return
    binding = MemberBinding(member_id=ctx.actor.id, member_name=ctx.actor.name, enterprise=enterprise.name,
                            status=BindingStatus.PENDING.value, requested_at=ctx.now)  # fmt: skip
    await ctx.uow.repo.add_binding(binding)
    coordinators = ctx.coordinators()
    ctx.reply(
        f"绑定申请 {binding.id}：{ctx.actor.name} → {enterprise.name}\n"
        f"{texts.at(ctx.directory, coordinators)} 请核实后回复「确认绑定 {binding.id}」或「拒绝绑定 {binding.id}」。",
        coordinators,
    )


async def _decide(ctx: Context, cmd: ParsedCommand, confirm: bool) -> None:
    if cmd.number is None:
        ctx.reply(usage_reply(cmd))
        return
    binding = await ctx.uow.repo.binding(cmd.number)
    if binding is None:
        ctx.reply(f"没有找到绑定申请 {cmd.number}。")
        return
    if binding.status != BindingStatus.PENDING:
        ctx.reply(
            f"绑定申请 {binding.id} 已处理过（{'已确认' if binding.status == BindingStatus.CONFIRMED else '已拒绝'}）。"
        )
        return
    binding.status = (BindingStatus.CONFIRMED if confirm else BindingStatus.REJECTED).value
    binding.decided_by, binding.decided_at = ctx.actor.id, ctx.now
    if confirm:
        ctx.reply(f"已确认：@{binding.member_name} 为{binding.enterprise}成员，可以直接在群里提诉求。",
                  [binding.member_id])  # fmt: skip
    else:
        ctx.reply(f"已拒绝绑定申请 {binding.id}（{binding.member_name} → {binding.enterprise}）。")


async def confirm_bind(ctx: Context, cmd: ParsedCommand) -> None:
    """确认新成员的企业绑定"""
    await _decide(ctx, cmd, confirm=True)


async def reject_bind(ctx: Context, cmd: ParsedCommand) -> None:
    """拒绝新成员的企业绑定"""
    await _decide(ctx, cmd, confirm=False)


COMMANDS = (
    command(bind, "绑定", "bind", spec=ArgSpec.TEXT, usage="绑定 <企业名>", example="绑定 华科电子", roles=frozenset({Role.ENTERPRISE})),
    command(confirm_bind, "确认绑定", "confirm-bind", spec=ArgSpec.NO, usage="确认绑定 <申请编号>", example="确认绑定 3", roles=COORDINATOR),
    command(reject_bind, "拒绝绑定", "reject-bind", spec=ArgSpec.NO, usage="拒绝绑定 <申请编号>", example="拒绝绑定 3", roles=COORDINATOR),
)  # fmt: skip
