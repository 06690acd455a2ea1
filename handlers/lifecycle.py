"""The ticket lifecycle as one table, with pure guards beside it (docs/architecture.md, "The lifecycle").

``TRANSITIONS[(status, action)]`` is the status after the action; a pair missing from the table is
not allowed. ``ALLOWED_ROLES`` says who may act, and ``OWNERSHIP`` narrows it to the right
department or enterprise. ``apply`` changes the ticket and returns the event to append.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from handlers.roster import Directory, Member
from storage.domain import ACTIVE, FINISHED, Action, Role, Status
from storage.models import Issue, IssueEvent

S, A = Status, Action

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.CANDIDATE, A.ACCEPT): S.OPEN,
    (S.CANDIDATE, A.DISMISS): S.CLOSED,
    (S.OPEN, A.DISMISS): S.CLOSED,
    (S.OPEN, A.CLAIM): S.CLAIMED,
    (S.CANDIDATE, A.ASSIGN): S.CLAIMED,
    (S.OPEN, A.ASSIGN): S.CLAIMED,
    (S.CLAIMED, A.ASSIGN): S.CLAIMED,
    (S.CLAIMED, A.PROGRESS): S.CLAIMED,
    (S.OPEN, A.TRANSFER): S.OPEN,
    (S.CLAIMED, A.TRANSFER): S.OPEN,
    (S.OPEN, A.ASSIST): S.OPEN,
    (S.CLAIMED, A.ASSIST): S.CLAIMED,
    (S.CLAIMED, A.RESOLVE): S.RESOLVED,
    (S.CLAIMED, A.EXPLAIN): S.RESOLVED,
    (S.RESOLVED, A.RATE): S.CLOSED,
    (S.RESOLVED, A.REOPEN): S.CLAIMED,
    (S.RESOLVED, A.EXPIRE): S.CLOSED,
    (S.CLOSED, A.RECUR): S.CLAIMED,
    (S.OPEN, A.ANSWER): S.RESOLVED,
    (S.RESOLVED, A.REFER): S.OPEN,
    (S.OPEN, A.URGE): S.OPEN,
    (S.CLAIMED, A.URGE): S.CLAIMED,
    **{(s, A.WITHDRAW): S.WITHDRAWN for s in ACTIVE},
    **{(s, A.SUPPLEMENT): s for s in ACTIVE},
    **{(s, A.RECATEGORIZE): s for s in Status},
}

E, H, L, C = Role.ENTERPRISE, Role.HANDLER, Role.LEADER, Role.COORDINATOR

ALLOWED_ROLES: dict[Action, frozenset[Role]] = {
    A.ACCEPT: frozenset({C}),
    A.DISMISS: frozenset({C}),
    A.CLAIM: frozenset({H}),
    A.ASSIGN: frozenset({L, C}),
    A.PROGRESS: frozenset({H}),
    A.TRANSFER: frozenset({H, L, C}),
    A.ASSIST: frozenset({H, L, C}),
    A.RESOLVE: frozenset({H}),
    A.EXPLAIN: frozenset({H}),
    A.RATE: frozenset({E}),
    A.REOPEN: frozenset({E}),
    A.WITHDRAW: frozenset({E}),
    A.URGE: frozenset({L, C}),
    A.RECATEGORIZE: frozenset({C}),
    A.SUPPLEMENT: frozenset({E}),
    A.EXPIRE: frozenset(),
    A.RECUR: frozenset({E}),
    A.ANSWER: frozenset(),
    A.REFER: frozenset({E}),
}


class Refusal(StrEnum):
    """Why an action was refused; handlers.replies.texts turns each into one Chinese line."""

    WRONG_STATE = "wrong_state"
    WRONG_ROLE = "wrong_role"
    NOT_YOUR_DEPARTMENT = "not_your_department"
    NOT_YOUR_ENTERPRISE = "not_your_enterprise"
    ALREADY_THERE = "already_there"


def _lead_handler(issue: Issue, actor: Member, d: Directory) -> bool:
    return actor.department is not None and actor.department == issue.department


def _lead_or_assisting(issue: Issue, actor: Member, d: Directory) -> bool:
    return _lead_handler(issue, actor, d) or (actor.department in (issue.assisting or []))


def _transfer_owner(issue: Issue, actor: Member, d: Directory) -> bool:
    # Leaders and the coordinator may re-route anything; a department only what it leads.
    return actor.role in (L, C) or _lead_handler(issue, actor, d)


def _same_enterprise(issue: Issue, actor: Member, d: Directory) -> bool:
    if actor.id == issue.reporter_id:
        return True
    return actor.enterprise is not None and actor.enterprise == issue.enterprise


OwnershipCheck = Callable[[Issue, Member, Directory], bool]
OWNERSHIP: dict[Action, tuple[OwnershipCheck, Refusal]] = {
    A.PROGRESS: (_lead_or_assisting, Refusal.NOT_YOUR_DEPARTMENT),
    A.RESOLVE: (_lead_handler, Refusal.NOT_YOUR_DEPARTMENT),
    A.EXPLAIN: (_lead_handler, Refusal.NOT_YOUR_DEPARTMENT),
    A.TRANSFER: (_transfer_owner, Refusal.NOT_YOUR_DEPARTMENT),
    A.ASSIST: (_transfer_owner, Refusal.NOT_YOUR_DEPARTMENT),
    A.RATE: (_same_enterprise, Refusal.NOT_YOUR_ENTERPRISE),
    A.REOPEN: (_same_enterprise, Refusal.NOT_YOUR_ENTERPRISE),
    A.WITHDRAW: (_same_enterprise, Refusal.NOT_YOUR_ENTERPRISE),
    A.SUPPLEMENT: (_same_enterprise, Refusal.NOT_YOUR_ENTERPRISE),
    A.RECUR: (_same_enterprise, Refusal.NOT_YOUR_ENTERPRISE),
    A.REFER: (_same_enterprise, Refusal.NOT_YOUR_ENTERPRISE),
}


def check(issue: Issue, action: Action, actor: Member | None, directory: Directory) -> Refusal | None:
    """Why ``actor`` may not take ``action`` on ``issue`` now, or None when it may.

    ``actor`` None means the system itself (scheduler jobs), which only the table constrains.
    """
    if actor is not None and actor.role not in ALLOWED_ROLES[action]:
        return Refusal.WRONG_ROLE
    if (Status(issue.status), action) not in TRANSITIONS:
        return Refusal.WRONG_STATE
    owner = OWNERSHIP.get(action)
    if actor is not None and owner and not owner[0](issue, actor, directory):
        return owner[1]
    return None


@dataclass(frozen=True)
class Change:
    """Field updates an action brings besides the status (department, rating, ...)."""

    text: str = ""
    fields: dict[str, Any] | None = None  # set on the ticket and recorded in the event
    note: dict[str, Any] | None = None  # recorded in the event only (e.g. the rating that reopened it)


def apply(
    issue: Issue, action: Action, actor_id: str, now: datetime, change: Change | None = None
) -> IssueEvent:
    """Move ``issue`` along the table and stamp it; returns the event to append.

    Callers run ``check`` first; ``apply`` still refuses a pair the table does not have.
    """
    change = change or Change()
    before = Status(issue.status)
    after = TRANSITIONS.get((before, action))
    if after is None:
        raise ValueError(f"{action} is not allowed from {before}")
    data = dict(change.fields or {})
    for name, value in data.items():
        setattr(issue, name, value)
    issue.status = after.value
    issue.updated_at = now
    _stamp(issue, action, actor_id, now)
    return IssueEvent(
        issue_id=issue.id,
        kind=action.value,
        actor=actor_id,
        at=now,
        text=change.text,
        from_status=before.value,
        to_status=after.value,
        data={
            k: v
            for k, v in {**data, **(change.note or {})}.items()
            if isinstance(v, str | int | float | bool | list | None)
        },
    )


def _stamp(issue: Issue, action: Action, actor_id: str, now: datetime) -> None:
    if action in (A.CLAIM, A.ASSIGN):
        issue.claimed_at, issue.claimed_by = now, actor_id
    elif action is A.TRANSFER:
        issue.claimed_at = issue.claimed_by = None
    elif action in (A.RESOLVE, A.EXPLAIN, A.ANSWER):
        issue.resolved_at = now
    elif action in (A.REOPEN, A.RECUR, A.REFER):
        issue.resolved_at = issue.closed_at = issue.rating = None
        issue.reopen_count += 1
        issue.escalation_level += 1
    elif action is A.URGE:
        issue.escalation_level += 1
    if issue.status in FINISHED:
        issue.closed_at = now
