"""The permissions matrix: every chat verb × every relation to a ticket, through the real dispatcher.

The expectation is read from ``handlers.permissions.PERMITTED``, the table the code reads and
``docs/permissions.md`` shows, so the document, the code and this test cannot drift apart. Each
case puts ticket #1 (华科电子's outage, routed to 供电公司, 人社局 assisting) in the state the verb
needs, lets one person type the command, and checks whether the ticket moved.
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
    Relation.LEADER: "ld_chen",
    Relation.COORDINATOR: "co_yang",
    Relation.OTHER_UNIT_LEADER: "ld_fucheng",  # 涪城区's: the ticket is the city's
    Relation.OTHER_UNIT_COORDINATOR: "co_fucheng",
}


@pytest.fixture
def services(example_config: Config, session_model: TextClassifier) -> Services:
    """The example's roster in two levels: 绵阳市 (its group, its departments), and 涪城区 (with a
    leader and a 营商办 of its own) and 游仙区 below it, so every relation, other units' included,
    can be played, and a ticket can be 游仙区's (上报) or reported from there (退回)."""
    roster = example_config.roster
    roster = replace(
        roster,
        units=(Unit("绵阳市", None, "市", (ROOM,)), Unit("涪城区", "绵阳市", "县区"), Unit("游仙区", "绵阳市", "县区")),
        members=(*roster.members, Member("ld_fucheng", "涪城区区长", Role.LEADER, unit="涪城区"),
                 Member("co_fucheng", "涪城区营商办", Role.COORDINATOR, unit="涪城区")),
    )  # fmt: skip
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
    Action.REPORT_UP: Verb("上报 1 区里协调不了", Status.CLAIMED, unit="游仙区", origin="游仙区"),
    Action.RETURN_DOWN: Verb("退回 1 属区级事权", Status.OPEN, unit="绵阳市", origin="游仙区"),
    Action.DISPATCH_DOWN: Verb("下派 1 游仙区", Status.CLAIMED, unit="绵阳市", origin="绵阳市"),
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


async def _ticket_in(chat: Chat, uow: UnitOfWorkFactory, verb: Verb) -> None:
    await chat.say("诉求 园区这周第三次停电了，生产线停了半天，损失很大", by=ACTOR[Relation.REPORTER])
    async with uow() as u:
        issue = await u.tickets.by_no(1)
        assert issue is not None and issue.department == "国网绵阳供电公司"
        issue.status, issue.outcome = verb.status.value, verb.outcome
        issue.assisting = ["市人力资源和社会保障局"]
        if verb.unit is not None:
            issue.unit, issue.origin_unit = verb.unit, verb.origin
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


@pytest.mark.parametrize("relation", list(Relation))
@pytest.mark.parametrize("what", list(VERBS))
async def test_matrix(chat: Chat, uow: UnitOfWorkFactory, what: Action | View, relation: Relation) -> None:
    verb = VERBS[what]
    await _ticket_in(chat, uow, verb)
    events, state = await _events(uow), await _state(uow)
    await chat.say(verb.command, by=ACTOR[relation])
    allowed = relation in PERMITTED[what]
    said = "\n".join(m.text for m in chat.last)
    if isinstance(what, View):
        shown = "#1【" in said or "详情已私信" in said
        assert shown == allowed, said
    elif allowed:
        assert await _events(uow) > events, f"{relation} should be able to {what}: {said}"
    else:
        assert (await _events(uow), await _state(uow)) == (events, state), f"{relation} must not {what}"
        assert said, "a refusal is always explained"
