"""Every (status, action) pair of the lifecycle table, and the role/ownership guards."""

from __future__ import annotations

from datetime import datetime

import pytest

from handlers.clock import TZ
from handlers.lifecycle import (
    TRANSITIONS,
    Action,
    Change,
    Refusal,
    Status,
    apply,
    check,
)
from handlers.permissions import roles_for
from handlers.roster.model import Member, Roster
from storage.domain import Role
from storage.models import Issue

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)

EXPECTED = {
    (Status.CANDIDATE, Action.ACCEPT): Status.OPEN,
    (Status.CANDIDATE, Action.DISMISS): Status.CLOSED,
    (Status.OPEN, Action.DISMISS): Status.CLOSED,
    (Status.OPEN, Action.CLAIM): Status.CLAIMED,
    (Status.CANDIDATE, Action.ASSIGN): Status.CLAIMED,
    (Status.OPEN, Action.ASSIGN): Status.CLAIMED,
    (Status.CLAIMED, Action.ASSIGN): Status.CLAIMED,
    (Status.CLAIMED, Action.PROGRESS): Status.CLAIMED,
    (Status.OPEN, Action.TRANSFER): Status.OPEN,
    (Status.CLAIMED, Action.TRANSFER): Status.OPEN,
    (Status.OPEN, Action.ASSIST): Status.OPEN,
    (Status.CLAIMED, Action.ASSIST): Status.CLAIMED,
    (Status.CLAIMED, Action.RESOLVE): Status.RESOLVED,
    (Status.CLAIMED, Action.EXPLAIN): Status.RESOLVED,
    (Status.RESOLVED, Action.RATE): Status.CLOSED,
    (Status.RESOLVED, Action.REOPEN): Status.CLAIMED,
    (Status.RESOLVED, Action.EXPIRE): Status.CLOSED,
    (Status.CLOSED, Action.RECUR): Status.CLAIMED,
    (Status.OPEN, Action.ANSWER): Status.RESOLVED,
    (Status.RESOLVED, Action.REFER): Status.OPEN,
    (Status.OPEN, Action.URGE): Status.OPEN,
    (Status.CLAIMED, Action.URGE): Status.CLAIMED,
    # between levels: the other unit's department claims it afresh
    (Status.OPEN, Action.REPORT_UP): Status.OPEN,
    (Status.CLAIMED, Action.REPORT_UP): Status.OPEN,
    (Status.OPEN, Action.RETURN_DOWN): Status.OPEN,
    (Status.CLAIMED, Action.RETURN_DOWN): Status.OPEN,
    # 下派: whoever hands it down has it; the system closes a child at 办结, the parent after them
    (Status.OPEN, Action.DISPATCH_DOWN): Status.CLAIMED,
    (Status.CLAIMED, Action.DISPATCH_DOWN): Status.CLAIMED,
    (Status.OPEN, Action.CONCLUDE): Status.CLOSED,
    (Status.CLAIMED, Action.CONCLUDE): Status.CLOSED,
    (Status.RESOLVED, Action.CONCLUDE): Status.CLOSED,
    **{(s, Action.WITHDRAW): Status.WITHDRAWN for s in (Status.CANDIDATE, Status.OPEN, Status.CLAIMED)},
    **{(s, Action.SUPPLEMENT): s for s in (Status.CANDIDATE, Status.OPEN, Status.CLAIMED)},
    **{(s, Action.RECATEGORIZE): s for s in Status},
}


def make_issue(status: Status, department: str = "市经济和信息化局", enterprise: str = "华科") -> Issue:
    return Issue(
        id=1, no=1, status=status, category="其他", original_category="其他", department=department,
        assisting=[], enterprise=enterprise, reporter_id="boss", title="t", text="t", escalation_level=0,
        reopen_count=0, created_at=NOW, updated_at=NOW,
    )  # fmt: skip


def test_table_is_exactly_the_designed_one() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_pair(status: Status, action: Action) -> None:
    issue = make_issue(status)
    if (status, action) in EXPECTED:
        event = apply(issue, action, "someone", NOW, Change(text="x"))
        assert issue.status == EXPECTED[(status, action)]
        assert (event.kind, event.from_status, event.to_status) == (action.value, status.value, issue.status)
        assert event.at == NOW and event.actor == "someone"
        assert check(make_issue(status), action, None, EMPTY) is None
    else:
        with pytest.raises(ValueError):
            apply(issue, action, "someone", NOW)
        assert issue.status == status.value  # nothing changed
        assert check(issue, action, None, EMPTY) is Refusal.WRONG_STATE


EMPTY = Roster("bot", "助企小助手", (), (), (), (), (), ())


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_roles(action: Action, role: Role) -> None:
    actor = Member("m", "m", role, department="市经济和信息化局", enterprise="华科")
    start = next((s for s in Status if (s, action) in TRANSITIONS), Status.OPEN)
    reason = check(make_issue(start), action, actor, EMPTY)
    if role in roles_for(action):  # which of them may act is the permissions matrix (test_permissions)
        assert reason in (None, Refusal.NOT_YOUR_DEPARTMENT, Refusal.NOT_YOUR_ENTERPRISE)
    else:
        assert reason is Refusal.WRONG_ROLE


def test_ownership() -> None:
    other_dept = Member("h2", "h2", Role.HANDLER, department="市商务局")
    other_firm = Member("e2", "e2", Role.ENTERPRISE, enterprise="别家")
    assert check(make_issue(Status.CLAIMED), Action.RESOLVE, other_dept, EMPTY) is Refusal.NOT_YOUR_DEPARTMENT
    assert check(make_issue(Status.RESOLVED), Action.RATE, other_firm, EMPTY) is Refusal.NOT_YOUR_ENTERPRISE
    assisting = make_issue(Status.CLAIMED)
    assisting.assisting = ["市商务局"]
    assert check(assisting, Action.PROGRESS, other_dept, EMPTY) is None
    assert check(assisting, Action.RESOLVE, other_dept, EMPTY) is Refusal.NOT_YOUR_DEPARTMENT


def test_reopen_and_urge_raise_the_level() -> None:
    issue = make_issue(Status.RESOLVED)
    apply(issue, Action.REOPEN, "boss", NOW)
    assert (issue.status, issue.reopen_count, issue.escalation_level) == ("claimed", 1, 1)
    apply(issue, Action.URGE, "leader", NOW)
    assert issue.escalation_level == 2
    apply(issue, Action.RESOLVE, "h", NOW)
    assert issue.resolved_at == NOW
    apply(issue, Action.RATE, "boss", NOW, Change(fields={"rating": 4}))
    assert (issue.status, issue.closed_at, issue.rating) == ("closed", NOW, 4)
