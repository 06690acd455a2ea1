"""The permissions matrix: every chat verb × every relation to a ticket × the level of the one
acting (a leader or 营商办 of the ticket's own unit, or of a unit above it), through the real
dispatcher.

The expectation is read from ``handlers.permissions.PERMITTED``, the table the code reads and
``docs/permissions.md`` shows, so the document, the code and this test cannot drift apart. Each
case puts ticket #1 (华科电子's outage, routed to 供电公司, 人社局 assisting; a ticket of 游仙区 unless
the verb needs another place) in the state the verb needs, checks the one typing the command is what
the case says they are to it, lets them type it, and checks whether the ticket moved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Config
from handlers.context import Services
from handlers.intake.classifier import TextClassifier
from handlers.permissions import PERMITTED, Relation, View
from handlers.permissions import relation as permission_relation
from handlers.roster.model import Member, Unit
from storage.domain import Action, Outcome, Role, Status
from storage.models import Issue, IssueEvent
from storage.uow import UnitOfWorkFactory
from tests.support.chat import ROOM, Chat, FreshClassifier

ACTOR = {
    Relation.REPORTER: "e_huake_liu",
    Relation.COLLEAGUE: "e_huake_xiao",
    Relation.OTHER_ENTERPRISE: "e_fucheng_jiang",
    Relation.UNKNOWN: "wx_passer_by",  # in the group, not in the roster, bound to nobody
    Relation.LEAD: "h_gd_shi",  # 国网绵阳供电公司
    Relation.ASSISTING: "h_rs_sun",  # 市人力资源和社会保障局, 协办
    Relation.OTHER_DEPARTMENT: "h_jx_wang",  # 市经济和信息化局
    Relation.OTHER_UNIT_LEADER: "ld_fucheng",  # 涪城区's: beside 游仙区, below the city
    Relation.OTHER_UNIT_COORDINATOR: "co_fucheng",
}
OVERSEER = {Relation.LEADER: Role.LEADER, Relation.COORDINATOR: Role.COORDINATOR,
            Relation.ORIGIN_LEADER: Role.LEADER, Relation.ORIGIN_COORDINATOR: Role.COORDINATOR}  # fmt: skip
PEOPLE = {  # (role, unit) → who
    (Role.LEADER, "绵阳市"): "ld_chen", (Role.COORDINATOR, "绵阳市"): "co_yang",
    (Role.LEADER, "游仙区"): "ld_youxian", (Role.COORDINATOR, "游仙区"): "co_youxian",
    (Role.LEADER, "游仙园区"): "ld_yxpark", (Role.COORDINATOR, "游仙园区"): "co_yxpark",
}  # fmt: skip
PARENT = {"游仙园区": "游仙区", "游仙区": "绵阳市", "绵阳市": None}
CHILD = {"绵阳市": "游仙区", "游仙区": "游仙园区"}
OWN, ABOVE = "本级", "上级"  # the overseer's level: the ticket's unit, or a unit above it


@pytest.fixture
def services(example_config: Config, session_model: TextClassifier) -> Services:
    """The example's roster in three levels: 绵阳市 (its group, its departments), 涪城区 and 游仙区
    below it, 游仙园区 below 游仙区, each with a leader and a 营商办 of its own, so every relation,
    at every level, can be played."""
    roster = example_config.roster
    places = [
        ("涪城区", "绵阳市", "fucheng"),
        ("游仙区", "绵阳市", "youxian"),
        ("游仙园区", "游仙区", "yxpark"),
    ]
    units = tuple(Unit(name, parent, "县区") for name, parent, _ in places)
    people = [Member(f"{p}_{key}", f"{name}{title}", role, unit=name)
              for name, _, key in places for p, title, role in (("ld", "领导", Role.LEADER), ("co", "营商办", Role.COORDINATOR))]  # fmt: skip
    roster = replace(
        roster, units=(Unit("绵阳市", None, "市", (ROOM,)), *units), members=(*roster.members, *people)
    )
    return Services(
        roster=roster,
        classifier=FreshClassifier(session_model, roster),
        settings=example_config.settings,
        policies=example_config.policies,
    )


@dataclass(frozen=True)
class Verb:
    command: str
    status: Status
    outcome: str | None = None
    unit: str | None = None  # where the ticket is now (its group is the city's either way) …
    origin: str | None = None  # … and where it was raised


VERBS: dict[Action | View, Verb] = {
    Action.CLAIM: Verb("认领 1", Status.OPEN),
    Action.PROGRESS: Verb("进度 1 已派人到现场", Status.CLAIMED),
    Action.RESOLVE: Verb("办结 1 已恢复供电", Status.CLAIMED),
    Action.EXPLAIN: Verb("说明 1 属于计划检修，依规不能提前", Status.CLAIMED),
    Action.TRANSFER: Verb("转办 1 市住房和城乡建设局", Status.CLAIMED),
    Action.ASSIST: Verb("协办 1 国家税务总局绵阳市税务局", Status.CLAIMED),
    Action.ASSIGN: Verb("交办 1 市住房和城乡建设局", Status.OPEN),
    Action.URGE: Verb("督办 1 本周内答复", Status.CLAIMED),
    Action.RATE: Verb("评价 1 满意", Status.RESOLVED, Outcome.RESOLVED),
    Action.REOPEN: Verb("评价 1 不满意", Status.RESOLVED, Outcome.RESOLVED),
    Action.REFER: Verb("评价 1 不满意", Status.RESOLVED, Outcome.ANSWERED),
    Action.WITHDRAW: Verb("撤回 1", Status.OPEN),
    Action.SUPPLEMENT: Verb("补充 1 联系电话 13800000000", Status.OPEN),
    Action.RECUR: Verb("复发 1", Status.CLOSED, Outcome.RESOLVED),
    Action.ACCEPT: Verb("受理 1", Status.CANDIDATE),
    Action.DISMISS: Verb("驳回 1 不是企业诉求", Status.OPEN),
    Action.RECATEGORIZE: Verb("归类 1 用工人才", Status.OPEN),
    Action.REPORT_UP: Verb("上报 1 区里协调不了", Status.CLAIMED),
    Action.RETURN_DOWN: Verb("退回 1 属区级事权", Status.OPEN, unit="绵阳市", origin="游仙区"),
    Action.DISPATCH_DOWN: Verb("下派 1 游仙园区", Status.CLAIMED),
    View.TICKET: Verb("查询 1", Status.CLAIMED),
    View.CANDIDATE: Verb("查询 1", Status.CANDIDATE),
}
SYSTEM_ONLY = {
    Action.EXPIRE,
    Action.ANSWER,
    Action.CONCLUDE,
}  # no chat verb: nobody may (checked in test_lifecycle)


def test_every_action_and_view_has_a_row() -> None:
    assert set(PERMITTED) == set(VERBS) | SYSTEM_ONLY
    assert all(not PERMITTED[a] for a in SYSTEM_ONLY)


def _place(verb: Verb, relation: Relation) -> tuple[str, str]:
    """(unit, origin) of the ticket: 游仙区's unless the verb needs another place; for the origin
    relations, raised in the unit below the one that has it."""
    unit = verb.unit or "游仙区"
    origin = verb.origin or unit
    if relation in (Relation.ORIGIN_LEADER, Relation.ORIGIN_COORDINATOR) and origin == unit:
        origin = CHILD[unit]
    return unit, origin


def _actor(relation: Relation, level: str, unit: str, origin: str) -> str:
    if relation not in OVERSEER:
        return ACTOR[relation]
    if relation in (Relation.ORIGIN_LEADER, Relation.ORIGIN_COORDINATOR):
        return PEOPLE[(OVERSEER[relation], origin)]
    owner = unit if level == OWN else PARENT[unit]
    assert owner is not None
    return PEOPLE[(OVERSEER[relation], owner)]


def _cases() -> list[tuple[Action | View, Relation, str]]:
    """Every verb × relation; a leader or 营商办 of the ticket's unit and of the unit above (where
    there is one)."""
    cases = []
    for what, verb in VERBS.items():
        for rel in Relation:
            if verb.outcome == Outcome.ANSWERED and rel is Relation.LEAD:
                continue  # the library answered it: no department leads it yet
            unit, _ = _place(verb, rel)
            above = rel in (Relation.LEADER, Relation.COORDINATOR) and PARENT[unit] is not None
            cases += [(what, rel, level) for level in ((OWN, ABOVE) if above else (OWN,))]
    return cases


async def _ticket_in(chat: Chat, uow: UnitOfWorkFactory, verb: Verb, place: tuple[str, str]) -> None:
    await chat.say("诉求 园区这周第三次停电了，生产线停了半天，损失很大", by=ACTOR[Relation.REPORTER])
    async with uow() as u:
        issue = await u.tickets.by_no(1)
        assert issue is not None and issue.department == "国网绵阳供电公司"
        issue.status, issue.outcome = verb.status.value, verb.outcome
        issue.assisting = ["市人力资源和社会保障局"]
        issue.unit, issue.origin_unit = place
        if verb.outcome == Outcome.ANSWERED:
            issue.department = None  # the library answered it; no department yet
        await u.commit()


async def _events(uow: UnitOfWorkFactory) -> int:
    async with uow() as u:
        return int((await u.session.execute(select(func.count()).select_from(IssueEvent))).scalar_one())


async def _state(uow: UnitOfWorkFactory) -> dict[str, Any]:
    async with uow() as u:
        issue = (await u.session.execute(select(Issue).where(Issue.no == 1))).scalar_one()
        return {c: getattr(issue, c) for c in ("status", "department", "category", "escalation_level")}


@pytest.mark.parametrize(("what", "relation", "level"), _cases())
async def test_matrix(
    chat: Chat,
    uow: UnitOfWorkFactory,
    services: Services,
    what: Action | View,
    relation: Relation,
    level: str,
) -> None:
    verb = VERBS[what]
    place = _place(verb, relation)
    await _ticket_in(chat, uow, verb, place)
    actor = _actor(relation, level, *place)
    async with uow() as u:
        issue = await u.tickets.by_no(1)
        member = services.roster.member(actor) or Member(actor, actor, Role.ENTERPRISE)
        assert issue is not None and permission_relation(issue, member, services.roster) is relation
    events, state = await _events(uow), await _state(uow)
    await chat.say(verb.command, by=actor)
    allowed = relation in PERMITTED[what]
    said = "\n".join(m.text for m in chat.last)
    if isinstance(what, View):
        shown = "#1【" in said or "详情已私信" in said
        assert shown == allowed, said
    elif allowed:
        assert await _events(uow) > events, f"{relation} ({level}) should be able to {what}: {said}"
    else:
        assert (await _events(uow), await _state(uow)) == (events, state), (
            f"{relation} ({level}) must not {what}"
        )
        assert said, "a refusal is always explained"
