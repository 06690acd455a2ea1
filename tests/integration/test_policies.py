"""政策找企业: policies pushed to the enterprises they fit (never flooding a group), 政策 / 申请 in
the chat, and leaders' figures of who was told, asked and applied — with the time-travel clock."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import datetime

import pytest

from bot.config import Config
from handlers.clock import TZ
from handlers.policy import Policy, PolicyLibrary
from scheduler.deps import Deps
from scheduler.jobs.policies import push_policies
from scheduler.runner import run_due
from storage.domain import PolicyUseKind
from storage.models import OutboxMessage, PolicyRecord
from storage.uow import UnitOfWorkFactory
from tests.support import scheduler as s
from tests.support.chat import ROOM, Chat

PUSH = re.compile(r"^[📌⏳]【政策 (\d+)】")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


@pytest.fixture
def deps(chat: Chat, uow: UnitOfWorkFactory, example_config: Config) -> Deps:
    schedule = replace(s.schedule(example_config), policy_push="group")  # the tests' config has it off
    return Deps.build(uow, chat.dispatcher.services, chat.clock, schedule)


async def records(uow: UnitOfWorkFactory, kind: PolicyUseKind) -> list[tuple[int, str]]:
    from sqlalchemy import select

    async with uow() as u:
        rows = await u.session.execute(
            select(PolicyRecord.policy_id, PolicyRecord.enterprise).where(PolicyRecord.kind == kind.value)
        )
        return sorted(set(rows.all()))  # type: ignore[arg-type]


async def outbox(uow: UnitOfWorkFactory) -> list[tuple[str, datetime]]:
    from sqlalchemy import select

    async with uow() as u:
        rows = await u.session.execute(
            select(OutboxMessage.text, OutboxMessage.created_at).order_by(OutboxMessage.id)
        )
        return [(text, when) for text, when in rows.all()]


async def test_search_detail_and_fit(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say("政策 稳岗", by="e_fenggu_hu")
    assert chat.one_reply() == (
        "找到 1 条政策：\n1. 【政策 1】失业保险稳岗返还（常年截止）\n回复「政策 编号」看详情，「申请 编号」申请。"
    )
    await chat.say("政策 3", by="e_huake_liu")
    detail = chat.one_reply()
    assert detail.startswith("【政策 3】专精特新中小企业奖励\n") and "截止：12月31日" in detail
    assert detail.endswith("要申请请回复「申请 3」。")
    await chat.say("政策 3", by="e_youxian_ma")  # 小微物流: outside 专精特新/规上/高新
    assert "贵企业暂不在适用范围" in chat.one_reply()
    await chat.say("政策 火星补贴", by="e_youxian_ma")
    assert chat.one_reply().startswith("政策库里没有找到「火星补贴」")
    await chat.say("政策 999", by="e_youxian_ma")
    assert chat.one_reply() == "没有【政策 999】，回复「政策 关键词」可查找。"
    assert await records(uow, PolicyUseKind.ASKED) == [
        (3, "绵阳华科精密电子有限公司"),
        (3, "绵阳游仙物流有限公司"),
    ]


async def test_search_finds_by_meaning_not_only_by_letter(chat: Chat) -> None:
    """「政策 用工」 names no policy's title, yet the library has 稳岗返还 and 招工补贴 for it."""
    await chat.say("政策 用工", by="e_fenggu_hu")
    reply = chat.one_reply()
    assert "【政策 1】失业保险稳岗返还" in reply and "招工补贴" in reply
    assert reply.endswith("回复「政策 编号」看详情，「申请 编号」申请。")
    await chat.say("政策 融资", by="e_fenggu_hu")  # a word no title has
    assert "贷款贴息" in chat.one_reply()
    await chat.say("政策 研发", by="e_fenggu_hu")  # the best first
    assert chat.one_reply().split("\n")[1].endswith("研发费用税前加计扣除（常年截止）")
    await chat.say("政策 火星补贴", by="e_fenggu_hu")  # every word typed must be found
    assert chat.one_reply().startswith("政策库里没有找到「火星补贴」")


async def test_applying_opens_a_ticket_for_the_policys_department(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say("申请 3 去年认定了省级专精特新", by="e_huake_liu")
    ack = chat.one_reply()
    assert ack.startswith(
        "已受理 #1【政策咨询】\n问题：申请【政策 3】专精特新中小企业奖励：去年认定了省级专精特新\n"
    )
    assert "承办：市经济和信息化局 @经信局王科长，请回复「认领 1」" in ack
    assert "@经信局王科长" in ack
    await chat.say("申请 3", by="e_huake_xiao")  # a colleague: the same application
    assert chat.one_reply() == "贵企业已申请【政策 3】，见 #1（待认领）。"
    await chat.say("申请 6", by="e_youxian_ma")
    assert chat.one_reply().startswith("按花名册信息，贵企业不在【政策 6】的适用范围")
    await chat.say("申请 77", by="e_youxian_ma")
    assert chat.one_reply() == "没有【政策 77】，回复「政策 关键词」可查找。"
    await chat.say("申请", by="e_youxian_ma")
    assert chat.one_reply().startswith("格式：申请 <政策编号> [说明]")
    assert await chat.say("申请贷款遇到困难，银行一直不批", by="e_youxian_ma") != []  # a sentence: an appeal
    assert "已受理 #2【融资信贷】" in chat.last[0].text

    chat.clock.set(at(2027, 1, 4, 10, 0))
    await chat.say("申请 3", by="e_jiuzhou_lin")
    assert chat.one_reply().startswith("【政策 3】专精特新中小企业奖励 已于 12月31日 截止申报")
    assert await records(uow, PolicyUseKind.APPLIED) == [(3, "绵阳华科精密电子有限公司")]

    await chat.say("政策统计", by="ld_chen")
    lines = chat.one_reply().splitlines()
    assert lines[0] == "政策找企业（企业数）：告知｜咨询｜申请"
    assert "3. 【政策 3】专精特新中小企业奖励：0｜0｜1" in lines
    await chat.say("政策统计", by="e_huake_liu")
    assert "只有领导、协调员可以使用" in chat.one_reply()


async def test_pushes_reach_fitting_enterprises_and_never_flood(
    chat: Chat, deps: Deps, uow: UnitOfWorkFactory
) -> None:
    await chat.say("申请 8", by="e_kechuang_song")  # 科创智能 applied before any push: not told again
    heard = await s.heard(chat, deps, at(2026, 11, 23, 10, 0), push_policies)
    assert len(heard) == 2  # per_day = 2 for the group
    first, second = chat.gateway.sent[-2:]
    assert heard[0].startswith("📌【政策 8】首台（套）重大技术装备奖励\n")  # nearest deadline first
    assert "适用：智能装备/汽车零部件/电子信息；规上/专精特新/高新｜截止：12月20日" in heard[0]
    assert "@华科电子刘总 @九洲智联林总 贵企业符合条件。要申请请回复「申请 8」" in heard[0]
    assert set(first.mentions) == {"e_huake_liu", "e_jiuzhou_lin"} and first.room_id == ROOM
    assert heard[1].startswith("📌【政策 3】") and "e_youxian_ma" not in second.mentions
    assert await s.heard(chat, deps, at(2026, 11, 23, 15, 0), push_policies) == []  # today's two are out
    roster, looked_up = deps.services.roster, []
    contacts = roster.contacts
    roster.contacts = lambda *a, **k: looked_up.append(a) or contacts(*a, **k)  # type: ignore[method-assign]
    try:  # budget first: with every group's budget spent, a tick builds no @-list at all
        assert await s.heard(chat, deps, at(2026, 11, 23, 15, 1), push_policies) == []
    finally:
        del roster.contacts
    assert looked_up == []

    await run_due(deps, at(2026, 11, 23, 15, 0), at(2026, 12, 14, 12, 0))
    pushes = [(when.astimezone(TZ).date(), int(m.group(1)), m.group(0)[0])
              for text, when in await outbox(uow) if (m := PUSH.match(text))]  # fmt: skip
    per_day = Counter(day for day, _, _ in pushes)
    assert pushes and max(per_day.values()) <= 2
    assert {no for _, no, kind in pushes if kind == "📌"} == set(range(1, 14))
    assert [no for _, no, kind in pushes if kind == "⏳"] == [8]  # a week before 12月20日, those not applied
    told = await records(uow, PolicyUseKind.TOLD)
    assert (8, "绵阳科创园智能装备有限公司") not in told and (13, "绵阳游仙物流有限公司") in told
    assert (13, "绵阳华科精密电子有限公司") not in told  # 六税两费 is for 小微 only


async def test_private_pushes_are_one_merged_message_per_enterprise(
    chat: Chat, deps: Deps, uow: UnitOfWorkFactory
) -> None:
    deps.schedule = replace(deps.schedule, policy_push="private")
    heard = await s.heard(chat, deps, at(2026, 11, 23, 10, 0), push_policies)
    sent = chat.gateway.sent[-len(heard) :]
    assert all(m.room_id is None for m in sent) and len({m.to_id for m in sent}) == len(sent) == 9
    huake = next(m.text for m in sent if m.to_id == "e_huake_liu")
    assert huake.startswith("📌 有适合贵企业的政策：\n1. 【政策 8】") and "\n2. 【政策 3】" in huake
    assert "\n3." not in huake  # at most per_day (2) policies a day
    assert await s.heard(chat, deps, at(2026, 11, 23, 16, 0), push_policies) == []
    assert len(await records(uow, PolicyUseKind.TOLD)) >= 9


async def test_asking_about_a_policy_is_counted_and_goes_to_its_department(
    chat: Chat, uow: UnitOfWorkFactory
) -> None:
    await chat.say("专精特新中小企业奖励怎么申请？", by="e_huake_liu")  # the library answers it at once
    assert chat.last[0].text.startswith("#1 为您找到相关政策：\n1. 专精特新中小企业奖励：")
    export = Policy(title="外贸企业出口信用保险保费补助", summary="出口企业投保短期出口信用保险的，按保费给予补助。",
                    keywords=("出口信用保险", "信保", "保费补助"), contact="市商务局外贸科（示例）",
                    category="政策咨询", id=21, department="商务局")  # fmt: skip
    chat.dispatcher.services.policies = PolicyLibrary([export])
    await chat.say(
        "出口信用保险保费补助申报材料交了三个月了还没消息，这个政策补贴还发不发", by="e_jiuzhou_lin"
    )
    ack = chat.last[0].text
    assert "【政策咨询】" in ack and "承办：市商务局 @商务局邓科长" in ack  # not 政策咨询's usual 经信局
    assert await records(uow, PolicyUseKind.ASKED) == [
        (3, "绵阳华科精密电子有限公司"),
        (21, "四川九洲智联汽车零部件有限公司"),
    ]
