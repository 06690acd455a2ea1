"""Who may do what to which ticket: one table of actions × the actor's relation to the ticket.

``PERMITTED[action]`` lists the relations that may take it; ``relation(issue, actor)`` says what
an actor is to a ticket. ``lifecycle.check`` reads the table for every command, and
``docs/permissions.md`` is generated from it (``python -m tests.tools.permissions_doc``), so the
code, the document and the matrix test (``tests/integration/test_permissions.py``) agree by construction.
"""

from __future__ import annotations

from enum import StrEnum

from handlers.roster.model import Member
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
    LEADER = "leader"
    COORDINATOR = "coordinator"  # 营商办


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
    View.TICKET: ENTERPRISE | {R.LEAD, R.ASSISTING} | OVERSEERS,
    View.CANDIDATE: frozenset({R.COORDINATOR}),
}


def roles_for(what: Action | View) -> frozenset[Role]:
    """The roles that may take an action on some ticket (the command table's roles)."""
    return frozenset(ROLE_OF[r] for r in PERMITTED[what])


def relation(issue: Issue, actor: Member) -> Relation:
    if actor.role is Role.COORDINATOR:
        return R.COORDINATOR
    if actor.role is Role.LEADER:
        return R.LEADER
    if actor.role is Role.HANDLER:
        if actor.department is not None and actor.department == issue.department:
            return R.LEAD
        return R.ASSISTING if actor.department in (issue.assisting or []) else R.OTHER_DEPARTMENT
    if actor.id == issue.reporter_id:
        return R.REPORTER
    if actor.enterprise is None:
        return R.UNKNOWN
    return R.COLLEAGUE if actor.enterprise == issue.enterprise else R.OTHER_ENTERPRISE


def may(actor: Member, what: Action | View, issue: Issue) -> bool:
    return relation(issue, actor) in PERMITTED[what]


def may_see(actor: Member, issue: Issue) -> bool:
    view = View.CANDIDATE if issue.status == Status.CANDIDATE else View.TICKET
    return may(actor, view, issue)
