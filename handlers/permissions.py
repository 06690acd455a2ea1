"""Who may do what to which ticket: one table of actions × the actor's relation to the ticket.

``PERMITTED[action]`` lists the relations that may take it; ``relation(issue, actor)`` says what
an actor is to a ticket. ``lifecycle.check`` reads the table for every command, and
``docs/permissions.md`` is generated from it (``python -m tests.tools.permissions_doc``), so the
code, the document and the matrix test (``tests/integration/test_permissions.py``) agree by construction.
"""

from __future__ import annotations

from enum import StrEnum

from handlers.roster.model import Member, Roster
from storage.domain import Action, Role, Status
from storage.models import Issue


class Relation(StrEnum):
    REPORTER = "reporter"  # the enterprise member who raised it (a person outside the roster too)
    COLLEAGUE = "colleague"  # another member of the same enterprise
    OTHER_ENTERPRISE = "other_enterprise"
    UNKNOWN = "unknown"  # outside the roster and bound to no enterprise, not the reporter
    LEAD = "lead"  # a handler of the department the ticket is routed to
    ASSISTING = "assisting"  # a handler of a 协办 department
    OTHER_DEPARTMENT = "other_department"
    LEADER = "leader"  # of the ticket's unit or one above it (本级及上级 oversee 本级及下级)
    COORDINATOR = "coordinator"  # 营商办, of the ticket's unit or one above it
    # Of the unit it was raised in (or one above that), the ticket since gone up beyond them (上报):
    # they follow it, the unit that has it acts.
    ORIGIN_LEADER = "origin_leader"
    ORIGIN_COORDINATOR = "origin_coordinator"
    OTHER_UNIT_LEADER = "other_unit_leader"  # a leader of another county, park … (or one below)
    OTHER_UNIT_COORDINATOR = "other_unit_coordinator"


class View(StrEnum):
    """Reading, not a lifecycle action: 查询 and the lists."""

    TICKET = "view"  # a real ticket (open, claimed, …)
    CANDIDATE = "view_candidate"  # a doubtful one only 营商办 has seen


R = Relation
ROLE_OF: dict[Relation, Role] = {
    R.REPORTER: Role.ENTERPRISE,
    R.COLLEAGUE: Role.ENTERPRISE,
    R.OTHER_ENTERPRISE: Role.ENTERPRISE,
    R.UNKNOWN: Role.ENTERPRISE,
    R.LEAD: Role.HANDLER,
    R.ASSISTING: Role.HANDLER,
    R.OTHER_DEPARTMENT: Role.HANDLER,
    R.LEADER: Role.LEADER,
    R.COORDINATOR: Role.COORDINATOR,
    R.ORIGIN_LEADER: Role.LEADER,
    R.ORIGIN_COORDINATOR: Role.COORDINATOR,
    R.OTHER_UNIT_LEADER: Role.LEADER,
    R.OTHER_UNIT_COORDINATOR: Role.COORDINATOR,
}
ENTERPRISE = frozenset({R.REPORTER, R.COLLEAGUE})
OVERSEERS = frozenset({R.LEADER, R.COORDINATOR})
A = Action

PERMITTED: dict[Action | View, frozenset[Relation]] = {
    A.ACCEPT: frozenset({R.COORDINATOR}),
    A.DISMISS: frozenset({R.COORDINATOR}),
    A.RECATEGORIZE: frozenset({R.COORDINATOR}),
    A.CLAIM: frozenset({R.LEAD}),  # another department asks 营商办 or a leader for 转办
    A.PROGRESS: frozenset({R.LEAD, R.ASSISTING}),
    A.RESOLVE: frozenset({R.LEAD}),
    A.EXPLAIN: frozenset({R.LEAD}),
    A.TRANSFER: frozenset({R.LEAD}) | OVERSEERS,
    A.REPORT_UP: frozenset({R.LEAD}) | OVERSEERS,  # the unit cannot solve it: to the one above
    A.RETURN_DOWN: frozenset({R.LEAD}) | OVERSEERS,  # the unit above sends it back, with a reason
    A.DISPATCH_DOWN: frozenset({R.LEAD}) | OVERSEERS,  # to the units below, a child ticket each
    A.ASSIST: frozenset({R.LEAD}) | OVERSEERS,
    A.ASSIGN: OVERSEERS,
    A.URGE: OVERSEERS,
    A.RATE: ENTERPRISE,
    A.REOPEN: ENTERPRISE,
    A.WITHDRAW: ENTERPRISE,
    A.SUPPLEMENT: ENTERPRISE,
    A.RECUR: ENTERPRISE,
    A.REFER: ENTERPRISE,
    A.EXPIRE: frozenset(),  # the system only
    A.ANSWER: frozenset(),  # the system only
    A.CONCLUDE: frozenset(),  # the system only: a 下派 child at 办结, its parent when all are done
    View.TICKET: ENTERPRISE | {R.LEAD, R.ASSISTING, R.ORIGIN_LEADER, R.ORIGIN_COORDINATOR} | OVERSEERS,
    View.CANDIDATE: frozenset({R.COORDINATOR}),
}


def roles_for(what: Action | View) -> frozenset[Role]:
    """The roles that may take an action on some ticket (the command table's roles)."""
    return frozenset(ROLE_OF[r] for r in PERMITTED[what])


def relation(issue: Issue, actor: Member, roster: Roster | None = None) -> Relation:
    """What ``actor`` is to ``issue``. A leader or 营商办 oversees the tickets in their unit and the
    units below it (本级及下级), and follows those raised there that went up; with no ``roster``
    (one unit), every ticket."""
    if actor.role in (Role.COORDINATOR, Role.LEADER):
        return _overseer(issue, actor, roster)
    if actor.role is Role.HANDLER:
        if actor.department is not None and actor.department == issue.department:
            return R.LEAD
        return R.ASSISTING if actor.department in (issue.assisting or []) else R.OTHER_DEPARTMENT
    if actor.id == issue.reporter_id:
        return R.REPORTER
    if actor.enterprise is None:
        return R.UNKNOWN
    return R.COLLEAGUE if actor.enterprise == issue.enterprise else R.OTHER_ENTERPRISE


def _overseer(issue: Issue, actor: Member, roster: Roster | None) -> Relation:
    leader = actor.role is Role.LEADER
    mine = roster.unit_of(actor) if roster is not None else ""
    if roster is None or roster.within(issue.unit or roster.root, mine):
        return R.LEADER if leader else R.COORDINATOR
    if in_scope(issue, mine, roster):  # raised in their subtree, now above it
        return R.ORIGIN_LEADER if leader else R.ORIGIN_COORDINATOR
    return R.OTHER_UNIT_LEADER if leader else R.OTHER_UNIT_COORDINATOR


def in_scope(issue: Issue, unit: str, roster: Roster) -> bool:
    """Whether ``issue`` is in ``unit`` or below it, now or where it was raised (None: the top)."""
    return roster.within(issue.unit or roster.root, unit) or roster.within(
        issue.origin_unit or roster.root, unit
    )


def may(actor: Member, what: Action | View, issue: Issue, roster: Roster | None = None) -> bool:
    return relation(issue, actor, roster) in PERMITTED[what]


def may_see(actor: Member, issue: Issue, roster: Roster | None = None) -> bool:
    view = View.CANDIDATE if issue.status == Status.CANDIDATE else View.TICKET
    return may(actor, view, issue, roster)
