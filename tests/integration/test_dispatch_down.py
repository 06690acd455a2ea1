"""下沉 (issue 24): a ticket or a task handed down to the units below as child tickets — one per
unit, each with its own department, deadline and group — and the parent following them: n/m 办结,
finished when the last child is, or by its owner with the open children closing with it.

The example in two levels (``tests/support/levels.py``): 绵阳市, and 涪城区 and 三台县 below it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config
from handlers.context import Services
from handlers.intake.classifier import TextClassifier
from scheduler.deadlines import WorkingDayDeadlines
from scheduler.deps import make_calendar
from storage.domain import IssueKind, Outcome, Status
from storage.uow import UnitOfWorkFactory
from tests.support.chat import Chat, FreshClassifier
from tests.support.levels import CITY_ROOM, FUCHENG_ROOM, SANTAI_ROOM, levels_config

APPEAL = "诉求 厂里招不到熟练技工，缺口三十多人，希望帮忙对接职校"


@pytest.fixture
def levels(tmp_path: Path) -> Config:
    return levels_config(tmp_path)


@pytest.fixture
def services(levels: Config, session_model: TextClassifier) -> Services:
    roster, schedule = levels.roster, levels.schedule
    deadlines = WorkingDayDeadlines(make_calendar(schedule), roster, schedule)  # each child its own
    return Services(roster=roster, classifier=FreshClassifier(session_model, roster), settings=levels.settings,
                    policies=levels.policies, deadlines=deadlines)  # fmt: skip


async def _tickets(uow: UnitOfWorkFactory, *nos: int) -> list[tuple[object, ...]]:
    async with uow() as u:
        found = [await u.tickets.by_no(no) for no in nos]
        return [(i.unit, i.department, i.status, i.parent_no) for i in found if i is not None]


async def test_a_county_appeal_goes_up_comes_back_is_handed_down_and_closes_with_its_children(
    chat: Chat, uow: UnitOfWorkFactory
) -> None:
    await chat.say(APPEAL, by="e_fc_he", room_id=FUCHENG_ROOM)
    await chat.say("上报 1 区里对接不到职业学校", by="h_fc_rs", room_id=FUCHENG_ROOM)
    await chat.say("退回 1 请区里先对接", by="h_rs_sun", room_id=CITY_ROOM)
    await chat.say("上报 1 区里确实对接不到", by="h_fc_rs", room_id=FUCHENG_ROOM)
    await chat.say("下派 1 涪城区 三台县", by="h_rs_sun", room_id=CITY_ROOM)
    handed = next(m for m in chat.last if m.room_id == FUCHENG_ROOM and m.text.startswith("⬇️ #1"))
    assert handed.text.splitlines()[1:] == [
        "1. 涪城区 #2｜涪城区人力资源和社会保障局",
        "2. 三台县 #3｜三台县人力资源和社会保障局",
    ]
    county = {m.room_id: m for m in chat.last if m.text.startswith("⬇️【下派】")}
    assert set(county) == {FUCHENG_ROOM, SANTAI_ROOM}  # each child in its own county's group
    assert "h_st_rs" in county[SANTAI_ROOM].mentions and "（上级 #1）" in county[SANTAI_ROOM].text
    assert not [m for m in chat.last if m.room_id == SANTAI_ROOM and m is not county[SANTAI_ROOM]]
    async with uow() as u:
        parent, child = await u.tickets.by_no(1), await u.tickets.by_no(2)
        assert parent is not None and child is not None and parent.resolve_due is not None
        assert child.resolve_due is not None and parent.resolve_due >= child.resolve_due  # it waits on them
    assert await _tickets(uow, 2, 3) == [
        ("涪城区", "涪城区人力资源和社会保障局", Status.OPEN, 1),
        ("三台县", "三台县人力资源和社会保障局", Status.OPEN, 1),
    ]
    await chat.say("认领 3", by="h_st_rs", room_id=SANTAI_ROOM)
    await chat.say("办结 3 已对接县职教中心", by="h_st_rs", room_id=SANTAI_ROOM)
    assert [m.text for m in chat.last if m.room_id == FUCHENG_ROOM] == [
        "✅ 三台县 #3 已办结（上级 #1：1/2 办结）。"
    ]
    await chat.say("查询 1", by="ld_chen", room_id=CITY_ROOM)  # a county's ticket: its details go privately
    detail = next(m.text for m in chat.last if m.to_id == "ld_chen")
    assert detail.endswith(
        "下派：1/2 办结\n· 涪城区 #2｜涪城区人力资源和社会保障局｜待认领\n· 三台县 #3｜三台县人力资源和社会保障局｜已办结"
    )
    await chat.say("认领 2", by="h_fc_rs", room_id=FUCHENG_ROOM)
    await chat.say("办结 2 已对接两所职校", by="h_fc_rs", room_id=FUCHENG_ROOM)
    done = next(m for m in chat.last if m.text.startswith("✅ #1"))
    assert done.room_id == FUCHENG_ROOM and "e_fc_he" in done.mentions and "评价 1 满意" in done.text
    assert await _tickets(uow, 1, 2, 3) == [
        ("绵阳市", "市人力资源和社会保障局", Status.RESOLVED, None),
        ("涪城区", "涪城区人力资源和社会保障局", Status.CLOSED, 1),
        ("三台县", "三台县人力资源和社会保障局", Status.CLOSED, 1),
    ]
    await chat.say("评价 1 满意", by="e_fc_he", room_id=FUCHENG_ROOM)
    assert (await _tickets(uow, 1))[0][2] == Status.CLOSED


async def test_a_leader_hands_a_task_to_every_county_and_it_closes_when_they_are_done(
    chat: Chat, uow: UnitOfWorkFactory
) -> None:
    await chat.say("交办 本周内摸排辖区企业用工缺口 人社局 下派 各县区", by="ld_chen", room_id=CITY_ROOM)
    reply = next(m for m in chat.last if m.text.startswith("⬇️ #1 已下派 2 个单位"))
    assert reply.room_id == CITY_ROOM
    async with uow() as u:
        parent = await u.tickets.by_no(1)
        assert parent is not None
        assert (parent.kind, parent.text, parent.unit, parent.department, parent.status) == (
            IssueKind.TASK, "本周内摸排辖区企业用工缺口", "绵阳市", "市人力资源和社会保障局", Status.CLAIMED)  # fmt: skip
    for no, who, room in ((2, "h_fc_rs", FUCHENG_ROOM), (3, "h_st_rs", SANTAI_ROOM)):
        await chat.say(f"认领 {no}", by=who, room_id=room)
        await chat.say(f"办结 {no} 已摸排完毕", by=who, room_id=room)
    assert chat.last[-1].text.startswith("✅ #1 下派的单位均已办结") and "评价" not in chat.last[-1].text
    async with uow() as u:
        parent = await u.tickets.by_no(1)
        assert parent is not None and (parent.status, parent.outcome) == (Status.CLOSED, Outcome.RESOLVED)
    await chat.say("交办 统计一下辖区内的用电情况 下派 涪城区", by="ld_chen", room_id=CITY_ROOM)
    child = next(
        m for m in chat.last if m.room_id == FUCHENG_ROOM
    )  # no department named: the county's 营商办
    assert "承办：涪城区营商办（请交办给承办部门）" in child.text and child.mentions == ("co_fucheng",)


async def test_handing_down_names_units_below_only_and_never_reads_a_unit_as_task_text(
    chat: Chat, uow: UnitOfWorkFactory
) -> None:
    await chat.say(APPEAL, by="e_fc_he", room_id=FUCHENG_ROOM)
    await chat.say("下派 1 三台县", by="h_fc_rs", room_id=FUCHENG_ROOM)
    assert chat.one_reply() == "「三台县」不是涪城区的下级单位。可下派：涪城高新园区，或写「各下级」。"
    await chat.say(APPEAL, by="e_st_tang", room_id=SANTAI_ROOM)
    await chat.say("下派 2", by="h_st_rs", room_id=SANTAI_ROOM)
    assert chat.one_reply() == "三台县没有下级单位，无法下派。"
    await chat.say("上报 1", by="h_fc_rs", room_id=FUCHENG_ROOM)
    await chat.say("下派 1 兰考县", by="h_rs_sun", room_id=CITY_ROOM)
    assert chat.one_reply() == "「兰考县」不是绵阳市的下级单位。可下派：涪城区、三台县，或写「各下级」。"
    await chat.say("下派 1 涪城", by="ld_santai", room_id=SANTAI_ROOM)
    assert chat.one_reply() == "#1 不在您所在单位及下级单位，不能下派。"
    await chat.say("下派 1 涪城", by="h_rs_sun", room_id=CITY_ROOM)  # 涪城区 or 涪城高新园区?
    assert chat.one_reply().startswith("「涪城」不是绵阳市的下级单位。可下派：涪城区、三台县")
    await chat.say("下派 1 三台", by="h_rs_sun", room_id=CITY_ROOM)  # a name's unique start is enough
    await chat.say("下派 1 三台县", by="h_rs_sun", room_id=CITY_ROOM)
    assert chat.one_reply() == "#1 已下派三台县，正在办理，未重复下派。"
    assert len(await _tickets(uow, 1, 2, 3, 4)) == 3  # one child only
    await chat.say(
        "交办 1 三台县 人社局", by="ld_chen", room_id=CITY_ROOM
    )  # the county's, not a task "1 三台县"
    await chat.say("交办 帮企业对接银行 三台县人社局", by="ld_chen", room_id=CITY_ROOM)
    async with uow() as u:
        assigned, task = await u.tickets.by_no(1), await u.tickets.by_no(4)
        assert assigned is not None and assigned.department == "三台县人力资源和社会保障局"
        assert task is not None and (task.text, task.department) == (
            "帮企业对接银行",
            "三台县人力资源和社会保障局",
        )


async def test_the_owner_finishing_the_parent_closes_the_children_still_open(
    chat: Chat, uow: UnitOfWorkFactory
) -> None:
    await chat.say(APPEAL.replace("e_fc_he", ""), by="e_fc_he", room_id=FUCHENG_ROOM)
    await chat.say("上报 1", by="h_fc_rs", room_id=FUCHENG_ROOM)
    await chat.say("下派 1", by="h_rs_sun", room_id=CITY_ROOM)  # nothing named: every unit below
    await chat.say("办结 1 市里统一对接了职教集团", by="h_rs_sun", room_id=CITY_ROOM)
    assert any(
        m.text == "#2 随上级 #1 办结而关闭，无需再办。" and m.room_id == FUCHENG_ROOM for m in chat.last
    )
    assert [t[2] for t in await _tickets(uow, 1, 2, 3)] == [Status.RESOLVED, Status.CLOSED, Status.CLOSED]


async def test_a_transfer_names_another_units_department_by_its_units_name_and_moves_the_ticket(
    chat: Chat, uow: UnitOfWorkFactory
) -> None:
    await chat.say(APPEAL, by="e_fc_he", room_id=FUCHENG_ROOM)
    await chat.say("转办 1 人社局", by="co_fucheng", room_id=FUCHENG_ROOM)  # the county's own: already there
    assert chat.one_reply().startswith("#1 已由涪城区人力资源和社会保障局")
    await chat.say("转办 1 三台县人社局", by="co_yang", room_id=CITY_ROOM)
    assert await _tickets(uow, 1) == [("三台县", "三台县人力资源和社会保障局", Status.OPEN, None)]
    await chat.say("查询 1", by="ld_santai", room_id=SANTAI_ROOM)  # now 三台县's to see and act on
    assert "#1【" in "\n".join(m.text for m in chat.last) or "详情已私信" in chat.one_reply()
