"""What the attacker of issue 9 tried, told as the group would see it."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Issue
from storage.uow import UnitOfWorkFactory
from tests.support.chat import ROOM, Chat

BOSS, OTHER_BOSS, POWER, RS, LEADER, COORD = (
    "e_huake_liu", "e_fucheng_jiang", "h_gd_shi", "h_rs_sun", "ld_chen", "co_yang",
)  # fmt: skip
OUTAGE = "园区这周第三次停电了，生产线停了半天，损失很大"


async def test_another_department_cannot_take_a_ticket(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say(f"诉求 {OUTAGE}", by=BOSS)
    await chat.say("认领 1", by=RS)
    assert chat.one_reply() == (
        "#1 由国网绵阳供电公司承办，只有国网绵阳供电公司可以认领。如应由贵部门办理，请营商办或领导「转办 1 贵部门」。"
    )
    await chat.say("办结 1 已处理", by=RS)
    assert chat.one_reply().startswith("#1 由国网绵阳供电公司承办")
    async with uow() as u:
        issue = (await u.session.execute(select(Issue).where(Issue.no == 1))).scalar_one()
        assert (issue.status, issue.department, issue.claimed_by) == ("open", "国网绵阳供电公司", None)


async def test_doubtful_tickets_exist_only_for_the_coordinator(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say(f"诉求 {OUTAGE}", by=BOSS)
    async with uow() as u:
        (await u.session.execute(select(Issue).where(Issue.no == 1))).scalar_one().status = "candidate"
        await u.commit()
    for who in (BOSS, LEADER, POWER):
        await chat.say("查询 1", by=who)
        assert chat.one_reply() == "没有找到 #1，请核对编号（发「我的」可查看相关诉求）。"
    await chat.say("我的", by=LEADER)
    assert chat.one_reply() == "目前没有在办诉求。"  # not even its title in a list
    await chat.say("查询 1", by=COORD)  # in the group: the details go privately
    assert [m.text for m in chat.last if m.room_id == ROOM] == ["#1 的详情已私信发给您。"]
    (private,) = [m for m in chat.last if m.to_id == COORD]
    assert private.text.startswith("#1【水电气暖】待确认")


async def test_a_ticket_of_another_group_is_told_privately(chat: Chat) -> None:
    await chat.say(f"诉求 {OUTAGE}", by=BOSS)
    await chat.say("查询 1", by=LEADER, room_id=None)  # a private chat with the bot: answered there
    assert chat.one_reply().startswith("#1【水电气暖】待认领")
    await chat.say("查询 1", by=OTHER_BOSS, room_id=None)
    assert chat.one_reply() == "#1 不是贵企业提出的诉求，无法查看。"
