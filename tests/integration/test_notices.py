"""通知与回执 in the group: a notice, its answers counted once per enterprise, reminders to those who
have not answered, the missing list after the deadline — played with the time-travel clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from bot.config import Config
from handlers.clock import TZ
from handlers.roster.entries import RosterEntry, merged
from handlers.roster.model import Enterprise, Member
from scheduler.deps import Deps
from scheduler.jobs.notices import follow_notices
from storage.domain import Role
from storage.uow import UnitOfWorkFactory
from tests.support import scheduler as s
from tests.support.chat import ROOM, Chat

GUISHANG = [
    "华科电子",
    "涪城新材",
    "安州食品",
    "九洲智联",
    "丰谷纺织",
    "龙凤建材",
]  # scale 规上 in the example
QUOTE_LINE = "- - - - - - - - - - - - - - -"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


@pytest.fixture
def deps(chat: Chat, uow: UnitOfWorkFactory, example_config: Config) -> Deps:
    # The chat's own services (its own copy of the roster: a test may change it).
    chat.dispatcher.services.roster = replace(chat.dispatcher.services.roster)
    return Deps.build(uow, chat.dispatcher.services, chat.clock, s.schedule(example_config))


async def status(chat: Chat, no: int = 1) -> str:
    await chat.say(f"回执情况 {no}", by="co_yang")
    return chat.one_reply()


async def test_a_notice_counts_each_enterprise_once(chat: Chat, deps: Deps) -> None:
    await chat.say(
        "通知 明天下午3点在市政务中心召开规上企业座谈会，请安排人员参加 截止 周三12:00 对象 规上",
        by="co_yang",
    )
    assert chat.one_reply() == (
        "📢【通知 #1】明天下午3点在市政务中心召开规上企业座谈会，请安排人员参加\n"
        "对象：规上（6）｜截止：11月25日（周三）12:00\n请回复「收到」；「回执情况 1」可查看进度。"
    )
    assert await chat.say("收到", by="e_huake_liu") == []  # counted, silently
    assert await chat.say("收到！", by="e_huake_xiao") == []  # the same enterprise again: nothing changes
    assert await chat.say("好的", by="e_youxian_ma") == []  # 小微: not in the audience, not counted
    report = await status(chat)
    assert "回执 1/6｜截止：11月25日（周三）12:00" in report
    assert "未回执（5）：涪城新材、安州食品、九洲智联、丰谷纺织、龙凤建材" in report

    await chat.say("回执 1", by="e_huake_xiao")
    assert chat.one_reply() == "华科电子 已回执过【通知 #1】，以第一次为准。"
    await chat.say("回执 1", by="e_youxian_ma")
    assert chat.one_reply() == "【通知 #1】的对象是「规上」，您不在其中，无需回执。"
    await chat.say("回执 1 我们派两人参加", by="e_jiuzhou_gao")
    assert chat.one_reply() == "@九洲智联人事高经理 已记录回执【通知 #1】，目前 2/6。"

    quoted = f"「营商办杨主任：明天下午3点在市政务中心召开规上企业座谈会」\n{QUOTE_LINE}\n收到，准时参加"
    assert await chat.say(quoted, by="e_fucheng_jiang") == []  # a quoted reply counts too
    assert "回执 3/6" in await status(chat)


async def test_reminder_then_missing_list_then_late_answers(chat: Chat, deps: Deps) -> None:
    await chat.say("通知 请参加周三上午的用工对接会，收到请回复 截止 周三12:00 对象 规上", by="co_yang")
    for by in ("e_huake_liu", "e_fucheng_jiang", "e_jiuzhou_lin"):
        await chat.say("收到", by=by)
    assert await s.heard(chat, deps, at(2026, 11, 24, 11, 0), follow_notices) == []  # not yet: a day before
    heard = await s.heard(chat, deps, at(2026, 11, 24, 12, 0), follow_notices)
    assert heard == [
        "⏰【通知 #1】请参加周三上午的用工对接会，收到请回复 还有 3 个未回执，截止 11月25日（周三）12:00。\n"
        "@安州食品罗总 @丰谷纺织胡总 @龙凤建材田总 请回复「收到」"
    ]
    assert set(chat.gateway.sent[-1].mentions) == {"e_anzhou_luo", "e_fenggu_hu", "e_longfeng_tian"}
    assert await s.heard(chat, deps, at(2026, 11, 24, 15, 0), follow_notices) == []  # once only

    await chat.say("收到", by="e_anzhou_luo")
    heard = await s.heard(chat, deps, at(2026, 11, 25, 12, 0), follow_notices)
    assert heard == [
        "【通知 #1】请参加周三上午的用工对接会，收到请回复 已截止：回执 4/6。\n未回执（2）：丰谷纺织、龙凤建材\n"
        "逾期回执仍会记录，「回执情况 1」可查看。"
    ]
    assert chat.gateway.sent[-1].to_id == "co_yang" and chat.gateway.sent[-1].room_id is None
    assert await s.heard(chat, deps, at(2026, 11, 25, 13, 0), follow_notices) == []

    chat.clock.set(at(2026, 11, 25, 14, 0))
    assert await chat.say("收到，不好意思刚看到", by="e_fenggu_hu") == []  # late: still recorded, marked 逾期
    assert "回执 5/6（其中逾期 1）" in await status(chat)
    await chat.say("回执 1", by="e_longfeng_tian")
    assert chat.one_reply() == "@龙凤建材田总 已记录回执【通知 #1】（逾期），目前 6/6。"


async def test_quiet_hours_hold_the_reminder_until_morning(chat: Chat, deps: Deps) -> None:
    chat.clock.set(at(2026, 11, 23, 20, 0))
    await chat.say("通知 明早10点前报送本周用电计划 对象 规上", by="h_gd_shi")
    assert "截止：11月24日（周二）10:00" in chat.one_reply()
    assert await s.heard(chat, deps, at(2026, 11, 24, 3, 0), follow_notices) == []  # due at 03:00: quiet
    assert await s.heard(chat, deps, at(2026, 11, 24, 7, 0), follow_notices) == []
    heard = await s.heard(chat, deps, at(2026, 11, 24, 8, 30), follow_notices)
    assert len(heard) == 1 and "还请报送" in heard[0] and "还没有回复，请回复「回执 1 内容」报送" in heard[0]


async def test_an_enterprise_added_mid_notice_is_asked_too(chat: Chat, deps: Deps) -> None:
    await chat.say("通知 请于周五17:00前确认年底用工缺口，收到请回复", by="co_yang")
    assert "对象：全体企业（9）" in chat.one_reply()
    await chat.say("收到", by="e_huake_liu")
    roster = deps.services.roster
    newcomer = RosterEntry("e_xinqi_he", "新启科技何总", Role.ENTERPRISE, enterprise="绵阳新启科技有限公司")
    grown = merged(roster, [newcomer])
    grown = replace(
        grown, enterprises=(*grown.enterprises[:-1], Enterprise("绵阳新启科技有限公司", "新启科技"))
    )
    roster.adopt(grown)
    report = await status(chat)
    assert "回执 1/10" in report and "新启科技" in report
    assert await chat.say("收到", by="e_xinqi_he") == []
    assert "回执 2/10" in await status(chat)
    assert isinstance(roster.member("e_xinqi_he"), Member)


async def test_a_leaders_message_becomes_a_notice_with_one_yes_and_jielong_counts(chat: Chat) -> None:
    await chat.say("明天上午9点企业服务日，地点市民中心三楼，参加的请接龙", by="ld_chen")
    assert chat.one_reply() == (
        "@陈市长 要把这条登记为通知并统计回执吗？回复「是」即登记（对象：全体企业 9 个；截止：11月24日（周二）09:00）。"
    )
    assert await chat.say("是", by="e_huake_liu") == []  # someone else's 「是」 is just chat
    await chat.say("是", by="ld_chen")
    assert chat.one_reply().startswith(
        "已登记【通知 #1】对象：全体企业（9），截止：11月24日（周二）09:00。参加的请接龙"
    )
    jielong = (
        "#接龙\n明天上午9点企业服务日，地点市民中心三楼，参加的请接龙\n\n1. 华科电子 刘总\n2. 九洲智联 林总"
    )
    assert await chat.say(jielong, by="e_jiuzhou_lin") == []
    longer = jielong + "\n3. 安州食品罗总"
    assert await chat.say(longer, by="e_anzhou_luo") == []  # the list grows: the old lines count once
    report = await status(chat)
    assert "回执 3/9" in report and "华科电子" not in report.split("未回执")[1]
    assert await chat.say("是", by="ld_chen") == []  # nothing left to confirm: silent


async def test_a_report_collects_what_each_enterprise_sends(chat: Chat) -> None:
    await chat.say("通知 请各企业于周五17:00前报送一季度用工需求 对象 专精特新", by="h_rs_sun")
    assert "请回复「回执 1 内容」报送" in chat.one_reply()
    assert await chat.say("收到", by="e_huake_liu") == []  # counted as 已收到; the content is owed
    await chat.say("回执 1", by="e_huake_liu")
    assert chat.one_reply() == (
        "【通知 #1】已记下收到，还需要报送内容，请回复：回执 1 <内容>（如：回执 1 需招工 12 人）"
    )
    await chat.say("回执 1 需普工 30 人、技工 5 人", by="e_huake_liu")
    assert "目前 1/3" in chat.one_reply()
    await chat.say("回执情况 1", by="h_rs_sun")
    assert "报送：华科电子 需普工 30 人、技工 5 人" in chat.one_reply()


@pytest.mark.parametrize(
    ("text", "by", "answer"),
    [
        ("通知", "co_yang", "格式：通知 <内容> [截止 <时间>] [对象 <标签|部门|全体>]"),
        ("通知 周五开会 对象 火星企业", "co_yang", "对象「火星企业」在花名册里找不到"),
        ("通知 周五开会 截止 2月30日", "co_yang", "截止时间「2月30日」看不懂或已过"),
        ("回执 99", "e_huake_liu", "没有【通知 #99】，请核对编号。"),
        ("回执情况", "co_yang", "格式：回执情况 <通知编号>"),
        ("回执情况 1", "e_huake_liu", "「回执情况」只有部门、领导、协调员可以使用"),
    ],
)
async def test_bad_notice_commands_get_a_clear_answer(
    chat: Chat, uow: UnitOfWorkFactory, text: str, by: str, answer: str
) -> None:
    await chat.say(text, by=by)
    assert answer in chat.one_reply()
    async with uow() as u:
        assert await u.notices.listed() == []


async def test_clause_words_inside_the_text_stay_text(chat: Chat) -> None:
    await chat.say("通知 请各服务对象企业确认截止日期前的申报材料 截止 周五17:00 对象 小微", by="co_yang")
    reply = chat.one_reply()
    assert reply.startswith(
        "📢【通知 #1】请各服务对象企业确认截止日期前的申报材料\n对象：小微（2）｜截止：11月27日（周五）17:00"
    )


async def test_an_enterprise_saying_notice_words_is_just_talking(chat: Chat) -> None:
    assert await chat.say("通知收到了，谢谢", by="e_huake_liu") == []
    assert await chat.say("收到", by="e_huake_liu") == []  # no notice: an ordinary 收到
    assert ROOM


async def test_a_notice_sent_privately_goes_to_the_group(
    chat: Chat, uow: UnitOfWorkFactory, deps: Deps
) -> None:
    await chat.say(
        "通知 本周四上午10点召开稳岗政策宣讲会，收到请回复 对象 各部门", by="ld_zhou", room_id=None
    )
    announce, told = chat.last
    assert announce.room_id == ROOM and announce.text.startswith(
        "📢【通知 #1】本周四上午10点召开稳岗政策宣讲会"
    )
    assert "对象：各部门（15）｜截止：11月26日（周四）10:00" in announce.text
    assert told.to_id == "ld_zhou" and told.text == "已在群里发出【通知 #1】。"
    assert await chat.say("收到", by="h_rs_qian") == []  # 人社局's second person answers for 人社局
    await chat.say("回执 1", by="h_rs_sun", room_id=None)
    assert chat.one_reply() == "人社局 已回执过【通知 #1】，以第一次为准。"


async def test_an_unconfirmed_offer_lapses(chat: Chat, deps: Deps, uow: UnitOfWorkFactory) -> None:
    await chat.say("周三下午两点企业家座谈会，请各企业负责人参加，收到请回复", by="ld_chen")
    assert "回复「是」即登记" in chat.one_reply()
    await s.heard(chat, deps, at(2026, 11, 23, 10, 30), follow_notices)  # half an hour later
    assert await chat.say("是", by="ld_chen") == []  # too late: nothing to confirm
    async with uow() as u:
        assert await u.notices.listed() == [] and await u.notices.stale_drafts(at(2027, 1, 1)) == []


async def test_a_report_that_asks_for_a_received_counts_both_kinds_apart(chat: Chat, deps: Deps) -> None:
    """报送 asked with 「收到请回复」: three say 收到, one reports. 回执情况 counts 已收到 and 已报送
    apart, lists who owes what, and the reminder @s only those who owe something, worded for it."""
    await chat.say("通知 请于周五17:00前报送年底用工缺口，收到请回复", by="co_yang")
    assert "对象：全体企业（9）" in chat.one_reply()
    for boss in ("e_huake_liu", "e_fucheng_jiang", "e_jiuzhou_lin"):
        assert await chat.say("收到", by=boss) == []
    await chat.say("回执 1 需要焊工3人", by="e_fenggu_hu")
    assert "已记录报送【通知 #1】，目前 1/9" in chat.one_reply()
    report = await status(chat)
    assert "已收到 4/9｜已报送 1/9" in report
    assert "已收到、未报送（3）：" in report and "未回复（5）：" in report
    assert "报送：" in report and "需要焊工3人" in report
    heard = await s.heard(chat, deps, at(2026, 11, 26, 17, 0), follow_notices)  # a day before
    assert len(heard) == 1
    reminder = heard[0]
    received_line = next(line for line in reminder.splitlines() if "已收到，还差报送内容" in line)
    silent_line = next(line for line in reminder.splitlines() if "还没有回复" in line)
    assert received_line.count("@") == 3 and silent_line.count("@") == 5
    reporter = deps.services.roster.member("e_fenggu_hu")
    assert reporter is not None and f"@{reporter.name}" not in reminder  # gave everything: never reminded
