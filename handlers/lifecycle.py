"""The ticket lifecycle as one table, with pure guards beside it (docs/architecture.md, "The lifecycle").

``TRANSITIONS[(status, action)]`` is the status after the action; a pair missing from the table is
not allowed. Who may act is the other table, ``handlers.permissions.PERMITTED``; ``check`` reads
both. ``apply`` changes the ticket and returns the event to append.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from handlers.permissions import PERMITTED, Relation, relation, roles_for
from handlers.roster.model import Member, Roster
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
    (S.OPEN, A.REPORT_UP): S.OPEN,
    (S.CLAIMED, A.REPORT_UP): S.OPEN,
    (S.OPEN, A.RETURN_DOWN): S.OPEN,
    (S.CLAIMED, A.RETURN_DOWN): S.OPEN,
    (S.OPEN, A.DISPATCH_DOWN): S.CLAIMED,
    (S.CLAIMED, A.DISPATCH_DOWN): S.CLAIMED,
    (S.OPEN, A.CONCLUDE): S.CLOSED,
    (S.CLAIMED, A.CONCLUDE): S.CLOSED,
    (S.RESOLVED, A.CONCLUDE): S.CLOSED,
    **{(s, A.WITHDRAW): S.WITHDRAWN for s in ACTIVE},
    **{(s, A.SUPPLEMENT): s for s in ACTIVE},
    **{(s, A.RECATEGORIZE): s for s in Status},
}


class Refusal(StrEnum):
    """Why an action was refused; handlers.replies.texts turns each into one Chinese line."""

    WRONG_STATE = "wrong_state"
    WRONG_ROLE = "wrong_role"
    NOT_YOUR_DEPARTMENT = "not_your_department"
    NOT_YOUR_ENTERPRISE = "not_your_enterprise"
    NOT_YOUR_UNIT = "not_your_unit"  # a leader or 营商办 of another county, park …
    GONE_UP = "gone_up"  # raised in their unit, now with the unit above: they follow it
    ALREADY_THERE = "already_there"


def check(issue: Issue, action: Action, actor: Member | None, roster: Roster) -> Refusal | None:
    """Why ``actor`` may not take ``action`` on ``issue`` now, or None when it may.

    Who may is ``handlers.permissions.PERMITTED`` (the actor's relation to the ticket); when is
    ``TRANSITIONS``. ``actor`` None means the system itself (scheduler jobs): only the table binds it.
    """
    if actor is not None and actor.role not in roles_for(action):
        return Refusal.WRONG_ROLE
    if actor is not None and (rel := relation(issue, actor, roster)) not in PERMITTED[action]:
        # Before the state: "not yours" is the answer that helps someone who may never act on it.
        return _not_yours(actor, rel)
    if (issue.status, action) not in TRANSITIONS:
        return Refusal.WRONG_STATE
    return None


def _not_yours(actor: Member, rel: Relation) -> Refusal:
    if rel in (Relation.ORIGIN_LEADER, Relation.ORIGIN_COORDINATOR):
        return Refusal.GONE_UP
    if actor.role is Role.HANDLER:
        return Refusal.NOT_YOUR_DEPARTMENT
    if actor.role in (Role.LEADER, Role.COORDINATOR):
        return Refusal.NOT_YOUR_UNIT
    return Refusal.NOT_YOUR_ENTERPRISE


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
    before = issue.status
    after = TRANSITIONS.get((before, action))
    if after is None:
        raise ValueError(f"{action} is not allowed from {before}")
    data = dict(change.fields or {})
    for name, value in data.items():
        setattr(issue, name, value)
    issue.status = after
    issue.updated_at = now
    _stamp(issue, action, actor_id, now)
    return IssueEvent(
        issue_id=issue.id,
        kind=action.value,
        actor=actor_id,
        at=now,
        text=change.text,
        from_status=before,
        to_status=after,
        data={
            k: v
            for k, v in {**data, **(change.note or {})}.items()
            if isinstance(v, str | int | float | bool | list | None)
        },
    )


def _stamp(issue: Issue, action: Action, actor_id: str, now: datetime) -> None:
    if action in (A.CLAIM, A.ASSIGN, A.DISPATCH_DOWN):
        issue.claimed_at, issue.claimed_by = now, actor_id
    elif action in (A.TRANSFER, A.REPORT_UP, A.RETURN_DOWN):
        issue.claimed_at = issue.claimed_by = None
        issue.routed_at = now
    elif action is A.ACCEPT:
        issue.routed_at = now
    elif action in (A.RESOLVE, A.EXPLAIN, A.ANSWER):
        issue.resolved_at = now
    elif action in (A.REOPEN, A.RECUR, A.REFER):
        if action is A.REFER:
            issue.routed_at = now
        issue.resolved_at = issue.closed_at = issue.rating = None
        issue.reopen_count += 1
        issue.escalation_level += 1
    elif action is A.URGE:
        issue.escalation_level += 1
    if issue.status in FINISHED:
        issue.closed_at = now
