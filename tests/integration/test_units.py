"""Levels (issue 24): units in a tree in the config, routing by place, and the one scope rule —
a leader or 营商办 oversees their unit and the units below it — in chat and in the ledger's SQL.

The example in two levels (``tests/support/levels.py``): 绵阳市 with the example's group, and 涪城区
and 三台县 below it, each with a group, a 人社局, a leader and a 营商办 of its own."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Config, ConfigError, load_config
from bot.web.workbench.views import viewer
from handlers.clock import ForwardClock
from handlers.context import Services
from handlers.intake.classifier import TextClassifier
from handlers.permissions import may_see
from handlers.roster.entries import merged, parse_rows
from handlers.roster.live import LiveRoster
from handlers.roster.model import Roster
from scheduler.deps import Deps
from scheduler.jobs import digests
from scheduler.jobs.common import Notice, people, post
from scheduler.jobs.digests import daily_digest, weekly_ranking
from storage.domain import Status
from storage.ledger import visible
from storage.models import Issue, OutboxMessage
from storage.uow import UnitOfWorkFactory
from tests.support.chat import Chat, FreshClassifier
from tests.support.city import city_config
from tests.support.levels import CITY_ROOM, FUCHENG_ROOM, LEVELS, SANTAI_ROOM, flat_example, levels_config

UNITS_ERRORS = [
    ('parent = "绵阳市"\nrooms = ["santai', 'parent = "绵阳"\nrooms = ["santai', "units[3].parent: unknown unit '绵阳'"),
    ('level = "县区"\nparent = "绵阳市"\nrooms = ["santai', 'level = "县区"\nrooms = ["santai',
     "units: exactly one unit has no parent (the top), found 2: 绵阳市, 三台县"),
    ('rooms = ["santai@chatroom"]', 'rooms = ["fucheng@chatroom"]', "units[3].rooms[0]: 'fucheng@chatroom' is a group of 涪城区 already"),
    ('leader = "ld_santai"\nunit = "三台县"', 'leader = "ld_santai"\nunit = "三台"', "departments[17].unit: unknown unit '三台'"),
    ('aliases = ["人社局", "县人社局"]', 'aliases = ["人社局", "涪城区人力资源和社会保障局"]',
     "departments[17].aliases[1]: '涪城区人力资源和社会保障局' already names departments[15] (涪城区人力资源和社会保障局)"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "message"), UNITS_ERRORS)
def test_a_broken_tree_is_one_line_naming_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in LEVELS
    with pytest.raises(ConfigError) as info:
        levels_config(tmp_path, levels=LEVELS.replace(old, new, 1))
    assert str(info.value).endswith(f"levels.toml: {message}")


def test_a_loop_and_too_many_levels_are_refused(tmp_path: Path) -> None:
    looped = '\n[[units]]\nname = "甲"\nparent = "乙"\n\n[[units]]\nname = "乙"\nparent = "甲"\n'
    with pytest.raises(ConfigError, match="units form a loop: 甲 → 乙 → 甲"):
        levels_config(tmp_path, looped)
    deep = "".join(
        f'\n[[units]]\nname = "第{i}级"\nparent = "{"涪城区" if i == 1 else f"第{i - 1}级"}"\n'
        for i in range(1, 5)
    )
    with pytest.raises(ConfigError, match="at most 5 levels"):
        levels_config(tmp_path, deep)


@pytest.fixture
def levels(tmp_path: Path) -> Config:
    return levels_config(tmp_path)


def test_an_appeal_goes_to_its_own_units_department_or_the_nearest_above(levels: Config) -> None:
    r = levels.roster
    assert (r.root, r.chain("涪城区"), r.subtree("涪城区")) == (
        "绵阳市",
        ["涪城区", "绵阳市"],
        {"涪城区", "涪城高新园区"},
    )
    assert r.route("用工人才", "招不到熟练工人", FUCHENG_ROOM) == "涪城区人力资源和社会保障局"
    assert r.route("用工人才", "招不到熟练工人", SANTAI_ROOM) == "三台县人力资源和社会保障局"
    assert r.route("用工人才", "招不到熟练工人", CITY_ROOM) == "市人力资源和社会保障局"
    assert (
        r.route("税费", "出口退税还没到账", SANTAI_ROOM) == "国家税务总局绵阳市税务局"
    )  # none in the county
    assert r.department("人社局", "三台县").name == "三台县人力资源和社会保障局"  # the nearest first
    assert r.department("人社局").name == "市人力资源和社会保障局"  # said nowhere in particular: the top's


@pytest.fixture
def services(levels: Config, session_model: TextClassifier) -> Services:
    roster = levels.roster
    return Services(roster=roster, classifier=FreshClassifier(session_model, roster), settings=levels.settings,
                    policies=levels.policies)  # fmt: skip


async def test_a_county_appeal_is_the_countys_and_other_counties_cannot_see_or_act(chat: Chat) -> None:
    await chat.say(
        "诉求 厂里招不到熟练技工，缺口三十多人，希望帮忙对接职校", by="e_fc_he", room_id=FUCHENG_ROOM
    )
    assert "涪城区人力资源和社会保障局" in chat.last[0].text and chat.last[0].room_id == FUCHENG_ROOM
    assert "h_fc_rs" in chat.last[0].mentions
    await chat.say("查询 1", by="ld_santai", room_id=SANTAI_ROOM)  # another county's leader
    assert "#1【" not in chat.one_reply()
    await chat.say("督办 1 本周内答复", by="ld_santai", room_id=SANTAI_ROOM)
    assert chat.one_reply() == "#1 不在您所在单位及下级单位，不能督办。"
    await chat.say("认领 1", by="h_fc_rs", room_id=FUCHENG_ROOM)
    await chat.say("督办 1 本周内答复", by="ld_fucheng", room_id=FUCHENG_ROOM)  # its own county's leader
    assert "督办" in chat.last[0].text and "不能" not in chat.last[0].text
    await chat.say("督办 1 请加快", by="ld_chen", room_id=CITY_ROOM)  # the city oversees the counties
    assert "不能" not in chat.last[0].text


async def test_an_answer_about_a_ticket_goes_to_its_group_never_to_another(chat: Chat) -> None:
    await chat.say(
        "诉求 厂里招不到熟练技工，缺口三十多人，希望帮忙对接职校", by="e_fc_he", room_id=FUCHENG_ROOM
    )
    await chat.say("认领 1", by="h_fc_rs", room_id=CITY_ROOM)  # said in the city's group
    where = {(m.room_id, m.to_id) for m in chat.last}
    assert where == {(FUCHENG_ROOM, None), (None, "h_fc_rs")}, chat.last  # the county's group, and privately
    claim = next(m for m in chat.last if m.room_id == FUCHENG_ROOM)
    assert "认领" in claim.text and "e_fc_he" in claim.mentions  # the enterprise is @-ed where it is
    assert (
        next(m for m in chat.last if m.to_id).text == "已在「涪城区企业服务群」回复（这张诉求属于那个群）。"
    )


async def test_the_ledgers_sql_shows_exactly_what_may_be_seen_for_every_member(
    uow: UnitOfWorkFactory, levels: Config
) -> None:
    roster = levels.roster
    async with uow() as u:
        for no, (unit, origin, status) in enumerate(
            [(None, None, Status.OPEN), ("绵阳市", "绵阳市", Status.CLAIMED), ("涪城区", "涪城区", Status.OPEN),
             ("三台县", "三台县", Status.CANDIDATE), ("绵阳市", "涪城区", Status.CLAIMED), ("三台县", "三台县", Status.RESOLVED)],
            start=1,
        ):  # fmt: skip
            u.session.add(_ticket(no, unit, origin, status))
        await u.commit()
    async with uow() as u:
        issues = list((await u.session.execute(select(Issue))).scalars())
        for member in roster.members:
            shown = set(
                (await u.session.execute(select(Issue.no).where(visible(viewer(member, roster))))).scalars()
            )
            assert shown == {i.no for i in issues if may_see(member, i, roster)}, member.id
        fucheng = roster.member("ld_fucheng")
        assert fucheng is not None
        seen = set(
            (await u.session.execute(select(Issue.no).where(visible(viewer(fucheng, roster))))).scalars()
        )
        assert seen == {3, 5}  # its own, and the one raised there that went up to the city


def _ticket(no: int, unit: str | None, origin: str | None, status: Status) -> Issue:
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    return Issue(no=no, room_id=CITY_ROOM, status=status, category="用工人才", original_category="用工人才",
                 department="市人力资源和社会保障局", unit=unit, origin_unit=origin, assisting=[], enterprise=None,
                 reporter_id="e_fc_he", title="招工", text="招工难", kind="appeal", confidence=1.0, urgent=False,
                 escalation_level=0, reopen_count=0, created_at=now, updated_at=now)  # fmt: skip


def test_one_unit_configs_are_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "flat.toml"
    path.write_text(flat_example(), encoding="utf-8")  # the example without its levels section
    r: Roster = load_config(path, env={}).roster
    assert r.units == () and r.root == "" and r.chain(None) == [""]
    assert r.route("用工人才", "招工难", "mianyang-qiyejia@chatroom") == "市人力资源和社会保障局"
    assert replace(r).department("人社局") is not None


async def test_a_county_reports_a_ticket_up_and_the_city_sends_it_back(
    chat: Chat, uow: UnitOfWorkFactory
) -> None:
    await chat.say(
        "诉求 厂里招不到熟练技工，缺口三十多人，希望帮忙对接职校", by="e_fc_he", room_id=FUCHENG_ROOM
    )
    await chat.say("认领 1", by="h_fc_rs", room_id=FUCHENG_ROOM)
    await chat.say("上报 1 区里对接不到职业学校", by="h_fc_rs", room_id=FUCHENG_ROOM)
    told = [m for m in chat.last if m.room_id == FUCHENG_ROOM]
    assert told and told[0].text.startswith(
        "⬆️ #1 已由涪城区上报绵阳市，转市人力资源和社会保障局办理。原因：区里对接不到职业学校。"
    )
    async with uow() as u:
        issue = await u.tickets.by_no(1)
        assert issue is not None
        assert (issue.unit, issue.origin_unit, issue.department, issue.status) == (
            "绵阳市", "涪城区", "市人力资源和社会保障局", Status.OPEN)  # fmt: skip
    await chat.say("查询 1", by="ld_fucheng", room_id=FUCHENG_ROOM)  # the county still sees it
    assert "#1【" in chat.one_reply() or "详情已私信" in chat.one_reply()
    await chat.say("督办 1 请尽快", by="ld_fucheng", room_id=FUCHENG_ROOM)  # … and the city acts on it
    assert chat.one_reply() == "#1 已上报绵阳市，由绵阳市办理，不能督办；您可以「查询 1」跟进。"
    await chat.say("上报 1", by="h_rs_sun", room_id=CITY_ROOM)  # the city is the top
    assert chat.one_reply() == "#1 已在最上一级（绵阳市），无处上报。需要协调请找营商办。"
    await chat.say("退回 1 属区级事权，请区里对接", by="h_rs_sun", room_id=CITY_ROOM)
    back = next(m for m in chat.last if m.room_id == FUCHENG_ROOM)  # told where its people are
    assert back.text.startswith(
        "⬇️ #1 已由绵阳市退回涪城区，由涪城区人力资源和社会保障局办理。原因：属区级事权，请区里对接。"
    )
    assert "h_fc_rs" in back.mentions
    async with uow() as u:
        issue = await u.tickets.by_no(1)
        assert issue is not None and (issue.unit, issue.department) == (
            "涪城区",
            "涪城区人力资源和社会保障局",
        )
        with_events = await u.tickets.by_no(1, with_events=True)
        assert with_events is not None
        kinds = [e.kind for e in with_events.events]
    assert kinds.count("report_up") == 1 and kinds.count("return_down") == 1
    await chat.say("退回 1 再退", by="h_fc_rs", room_id=FUCHENG_ROOM)
    assert chat.one_reply() == "#1 不是下级上报来的，无需退回。"


async def test_the_ladder_climbs_the_tickets_own_units_chain_and_ats_only_people_in_the_group(
    uow: UnitOfWorkFactory, levels: Config
) -> None:
    roster = levels.roster
    fucheng, santai = _ticket(1, "涪城区", "涪城区", Status.OPEN), _ticket(2, "三台县", "三台县", Status.OPEN)
    assert people(roster, fucheng, ["leaders", "coordinators"]) == ["ld_fucheng", "co_fucheng"]
    assert people(roster, santai, ["leaders", "coordinators"]) == [
        "ld_santai",
        "co_yang",
    ]  # none of its own: the city's
    async with uow() as u:
        notice = Notice(
            FUCHENG_ROOM, "⏰ #1 超过认领时限", ["h_fc_rs", "h_st_rs"]
        )  # 三台's is not in 涪城's group
        await post(u, [notice], datetime(2026, 11, 23, 2, tzinfo=UTC), roster)
        await u.commit()
    async with uow() as u:
        rows = (
            await u.session.execute(
                select(OutboxMessage.room_id, OutboxMessage.to_id, OutboxMessage.mentions)
            )
        ).all()
    assert sorted(rows, key=str) == sorted(
        [(FUCHENG_ROOM, None, ["h_fc_rs"]), (None, "h_st_rs", [])], key=str
    )


async def test_each_units_leaders_get_the_digest_of_their_unit_and_those_below(
    uow: UnitOfWorkFactory, levels: Config, services: Services
) -> None:
    sunday = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    async with uow() as u:
        for no, unit in enumerate(["涪城区", "涪城区", "三台县", "绵阳市"], start=1):
            ticket = _ticket(no, unit, unit, Status.OPEN)
            ticket.created_at = ticket.updated_at = sunday
            u.session.add(ticket)
        await u.commit()
    deps = Deps.build(uow, services, ForwardClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC)), levels.schedule)
    assert await daily_digest(deps, datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # Monday 09:00
    async with uow() as u:
        rows = (await u.session.execute(select(OutboxMessage.to_id, OutboxMessage.text))).all()
    said = {to: text for to, text in rows}
    assert said["ld_fucheng"].startswith("📊 涪城区助企日报") and "新增 2 件" in said["ld_fucheng"]
    assert said["ld_santai"].startswith("📊 三台县助企日报") and "新增 1 件" in said["ld_santai"]
    city = said["ld_chen"]
    assert city.startswith("📊 绵阳市助企日报") and "新增 4 件" in city
    assert "1. 涪城区 新增 2｜" in city and "2. 三台县 新增 1｜" in city  # a row per county


def test_a_roster_import_places_people_in_their_unit_and_groups(levels: Config) -> None:
    roster = levels.roster
    rows = [
        (2, {"编号": "ld_lk", "姓名": "涪城区副区长", "角色": "领导", "单位": "涪城区", "上级单位": "绵阳市", "群": "涪城区企业服务群"}),
        (3, {"编号": "h_fc_new", "姓名": "涪城区商务局王股长", "角色": "部门", "部门": "涪城区商务局", "单位": "涪城区",
             "群": f"{FUCHENG_ROOM}"}),
        (4, {"编号": "x1", "姓名": "甲", "角色": "领导", "单位": "兰考县"}),
        (5, {"编号": "x2", "姓名": "乙", "角色": "领导", "单位": "涪城区", "上级单位": "三台县"}),
        (6, {"编号": "x3", "姓名": "丙", "角色": "企业", "企业": "涪城精工", "群": "没有这个群"}),
    ]  # fmt: skip
    entries, errors = parse_rows(rows, roster)
    assert errors == [
        "第4行：单位「兰考县」不在配置里（有：绵阳市、涪城区、涪城高新园区、三台县）",
        "第5行：上级单位「三台县」与配置不符（涪城区的上级是绵阳市）",
        "第6行：群「没有这个群」不在配置里",
    ]
    after = merged(roster, entries)
    leader, handler = after.member("ld_lk"), after.member("h_fc_new")
    assert leader is not None and (leader.unit, leader.rooms) == ("涪城区", (FUCHENG_ROOM,))
    assert handler is not None and handler.rooms == (FUCHENG_ROOM,)
    assert after.unit_of(handler) == "涪城区"  # a new department, in the unit the row names
    assert [m.id for m in after.members_in(SANTAI_ROOM) if m.id in ("ld_lk", "h_fc_new")] == []


async def test_an_imported_members_unit_and_groups_survive_a_restart(
    uow: UnitOfWorkFactory, levels: Config
) -> None:
    entries, errors = parse_rows(
        [
            (
                2,
                {
                    "编号": "ld_lk",
                    "姓名": "涪城区副区长",
                    "角色": "领导",
                    "单位": "涪城区",
                    "群": "涪城区企业服务群",
                },
            )
        ],
        levels.roster,
    )
    assert not errors
    await LiveRoster(levels.roster).record(
        uow, entries, datetime(2026, 11, 23, 2, tzinfo=UTC), "co_yang", "名册.xlsx"
    )
    again = LiveRoster(levels.roster)  # another process, or after a restart
    assert await again.refresh(uow)
    member = again.roster.member("ld_lk")
    assert member is not None and (member.unit, member.rooms) == ("涪城区", (FUCHENG_ROOM,))


async def test_lists_and_figures_in_chat_are_of_the_askers_unit_and_those_below(chat: Chat) -> None:
    await chat.say(
        "诉求 厂里招不到熟练技工，缺口三十多人，希望帮忙对接职校", by="e_fc_he", room_id=FUCHENG_ROOM
    )
    await chat.say("诉求 厂区门口道路坑洼，货车进出困难，希望尽快修补", by="e_st_tang", room_id=SANTAI_ROOM)
    await chat.say("我的", by="ld_fucheng", room_id=FUCHENG_ROOM)
    assert "#1【" in chat.one_reply() and "#2【" not in chat.one_reply()
    await chat.say("统计", by="ld_fucheng", room_id=FUCHENG_ROOM)
    assert "三台县" not in chat.one_reply() and "市人力资源" not in chat.one_reply()
    fucheng = chat.one_reply().splitlines()[0]
    await chat.say("统计", by="ld_chen", room_id=CITY_ROOM)
    assert fucheng != chat.one_reply().splitlines()[0]  # the city counts both counties' tickets
    await chat.say("我的", by="ld_chen", room_id=CITY_ROOM)
    assert "#1【" in chat.one_reply() and "#2【" in chat.one_reply()
    await chat.say("待认领", by="co_fucheng", room_id=FUCHENG_ROOM)
    assert "#1【" in chat.one_reply() and "#2【" not in chat.one_reply()


async def test_the_weekly_ranking_sets_each_units_children_against_each_other(
    chat: Chat, uow: UnitOfWorkFactory, levels: Config, services: Services
) -> None:
    await chat.say(
        "诉求 厂里招不到熟练技工，缺口三十多人，希望帮忙对接职校", by="e_fc_he", room_id=FUCHENG_ROOM
    )
    await chat.say("认领 1", by="h_fc_rs", room_id=FUCHENG_ROOM)
    await chat.say("办结 1 已对接两所职校", by="h_fc_rs", room_id=FUCHENG_ROOM)
    await chat.say("诉求 厂区门口道路坑洼，货车进出困难，希望尽快修补", by="e_st_tang", room_id=SANTAI_ROOM)
    await chat.say("诉求 员工社保转移办不下来，希望人社部门帮忙", by="e_st_tang", room_id=SANTAI_ROOM)
    await chat.say("认领 3", by="h_st_rs", room_id=SANTAI_ROOM)
    await chat.say("上报 3 县里办不了", by="h_st_rs", room_id=SANTAI_ROOM)
    monday = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 10:00 the next Monday: last week's ranking
    deps = Deps.build(uow, services, ForwardClock(monday), levels.schedule)
    assert await weekly_ranking(deps, monday)
    async with uow() as u:
        texts = [t for (t,) in (await u.session.execute(select(OutboxMessage.text))).all()]
    ranking = next(t for t in texts if t.startswith("🏆 周研判"))
    lines = ranking.split("🏅 绵阳市下级单位对比", 1)[1].splitlines()[1:]
    assert lines == [
        "1. 涪城区 受理 1｜认领 100%｜反馈 100%｜办结 100%｜上浮 0%",
        "2. 三台县 受理 2｜认领 50%｜反馈 0%｜办结 —｜上浮 50%",  # 7 working days not up yet
    ]


@pytest.mark.slow
async def test_the_ledgers_sql_equals_may_see_for_every_member_of_the_generated_city(
    uow: UnitOfWorkFactory, tmp_path: Path
) -> None:
    """The generated city in levels (50 groups: the city, 9 counties, 40 parks; 5,560 members):
    two tickets raised in each unit — one kept there, one gone up a level — checked for everyone."""
    path = tmp_path / "city.toml"
    path.write_text(city_config(units=True), encoding="utf-8")
    roster = load_config(path, env={}).roster
    firms = {e.unit: e for e in reversed(roster.enterprises)}
    async with uow() as u:
        for k, unit in enumerate(roster.units):
            firm = firms.get(unit.name)
            for up in (False, True):
                no = 2 * k + 1 + up
                here = (roster.unit(unit.name).parent or unit.name) if up else unit.name  # type: ignore[union-attr]
                dept = next((d.name for d in roster.departments if d.unit == here), "市人力资源和社会保障局")
                ticket = _ticket(no, here, unit.name, [Status.OPEN, Status.CLAIMED, Status.CANDIDATE][no % 3])
                ticket.department, ticket.enterprise = dept, firm.name if firm else None
                ticket.reporter_id = next((m.id for m in roster.contacts(firm.name)), "x") if firm else "x"
                u.session.add(ticket)
        await u.commit()
    async with uow() as u:
        issues = list((await u.session.execute(select(Issue))).scalars())
        for member in roster.members:
            shown = set(
                (await u.session.execute(select(Issue.no).where(visible(viewer(member, roster))))).scalars()
            )
            assert shown == {i.no for i in issues if may_see(member, i, roster)}, member.id


@pytest.mark.parametrize("first", [2000, 1])  # every unit's list among the first read, or asked for
async def test_each_units_digest_lists_its_own_overdue_tickets(
    uow: UnitOfWorkFactory, levels: Config, services: Services, monkeypatch: pytest.MonkeyPatch, first: int
) -> None:
    monkeypatch.setattr(digests, "FIRST_OVERDUE", first)
    long_ago = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    async with uow() as u:
        for no, unit in enumerate(["涪城区", "三台县", "涪城区"], start=1):
            ticket = _ticket(no, unit, unit, Status.OPEN)
            ticket.created_at = ticket.updated_at = long_ago
            ticket.claim_due = ticket.resolve_due = long_ago + timedelta(days=no)
            u.session.add(ticket)
        await u.commit()
    deps = Deps.build(uow, services, ForwardClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC)), levels.schedule)
    assert await daily_digest(deps, datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    async with uow() as u:
        said = dict((await u.session.execute(select(OutboxMessage.to_id, OutboxMessage.text))).all())
    listed = {who: re.findall(r"#(\d+)【", text) for who, text in said.items()}
    assert (listed["ld_fucheng"], listed["ld_santai"], listed["ld_chen"]) == (
        ["1", "3"],
        ["2"],
        ["1", "2", "3"],
    )
