"""通知 and 回执: 通知 是 回执 回执情况."""

from __future__ import annotations

from handlers.context import Context
from handlers.notices.audience import unit_of
from handlers.notices.propose import POSTERS, DraftError, confirm, count, open_notice, parse_command
from handlers.notices.receipts import progress_of, record, status_text
from handlers.parser import ArgSpec, ParsedCommand
from handlers.replies import notices as say
from handlers.router import command
from handlers.tickets import usage_reply
from storage.domain import NoticeStatus
from storage.models import Notice


async def notice(ctx: Context, cmd: ParsedCommand) -> None:
    """发通知并统计回执（截止、对象可选）"""
    if not cmd.rest:
        ctx.reply(usage_reply(cmd))
        return
    try:
        draft = parse_command(ctx, cmd.rest)
    except DraftError as refused:
        ctx.reply(str(refused), [ctx.actor.id])
        return
    opened = await open_notice(ctx, draft, NoticeStatus.OPEN)
    text = say.opened(
        opened.no, opened.text, opened.kind, opened.audience, count(ctx, opened), opened.deadline
    )
    ctx.say(text, room_id=opened.room_id)
    if ctx.room_id != opened.room_id:
        ctx.reply(say.posted(opened.no))


async def yes(ctx: Context, cmd: ParsedCommand) -> None:
    """确认把刚才的消息登记为通知"""
    opened = await confirm(ctx)
    if opened is None:
        return  # a plain 「是」 in the conversation
    text = say.confirmed(opened.no, opened.kind, opened.audience, count(ctx, opened), opened.deadline)
    ctx.say(text, room_id=opened.room_id)


async def _notice(ctx: Context, cmd: ParsedCommand) -> Notice | None:
    if cmd.number is None:
        ctx.reply(usage_reply(cmd))
        return None
    found = await ctx.uow.notices.by_no(cmd.number)
    if found is None or found.status not in (NoticeStatus.OPEN, NoticeStatus.CLOSED):
        ctx.reply(say.unknown_notice(cmd.number))
        return None
    return found


async def receipt(ctx: Context, cmd: ParsedCommand) -> None:
    """回执一条通知（报送类附内容）"""
    found = await _notice(ctx, cmd)
    if found is None:
        return
    p = await progress_of(ctx, found)
    unit = unit_of(ctx.actor, p.audience)
    if unit is None:
        ctx.reply(say.not_audience(found.no, found.audience))
    elif p.gave_all(unit):
        ctx.reply(say.already(unit.name, found.no, p.reporting))
    elif p.reporting and not cmd.tail:  # counted as 已收到; the content is still owed
        await record(ctx, found, p, [(unit, ctx.actor, "回执")])
        ctx.reply(say.needs_content(found.no), [ctx.actor.id])
    else:
        now = await record(ctx, found, p, [(unit, ctx.actor, cmd.tail or "回执")], report=p.reporting)
        late = found.deadline is not None and ctx.now > found.deadline
        at = ctx.at([ctx.actor.id])
        ctx.reply(say.recorded(at, found.no, now.done, len(now.audience), late, p.reporting), [ctx.actor.id])


async def receipts(ctx: Context, cmd: ParsedCommand) -> None:
    """查看通知的回执情况和未回执名单"""
    found = await _notice(ctx, cmd)
    if found is not None:
        ctx.reply(status_text(found, await progress_of(ctx, found)))


COMMANDS = (
    command(
        notice,
        "通知",
        "notice",
        spec=ArgSpec.TEXT,
        usage="<内容> [截止 <时间>] [对象 <标签|部门|全体>]",
        example="请于周五17:00前报送用工需求 对象 规上",
        roles=POSTERS,
        chat_for_others=True,
    ),
    command(yes, "是", "yes", spec=ArgSpec.NONE, usage="", example="", roles=POSTERS, chat_for_others=True),
    command(
        receipt,
        "回执",
        "receipt",
        spec=ArgSpec.NO_OPT_TEXT,
        usage="<通知编号> [内容]",
        example="3 需招工 12 人",
    ),
    command(
        receipts, "回执情况", "receipts", spec=ArgSpec.NO, usage="<通知编号>", example="3", roles=POSTERS
    ),
)
