"""The words of the domain, once: statuses, actions, outcomes, roles and the named sets of them.

Standard library only, and the lowest module of the package: ``storage``, ``handlers``,
``scheduler`` and ``bot`` all import it, so no other module spells a status or outcome string
(the migrations excepted: they are frozen history). The lifecycle table that says which action
moves which status lives in ``handlers/lifecycle.py``; the Chinese names in ``handlers/replies``.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Status(StrEnum):
    CANDIDATE = "candidate"  # 待确认: the classifier was unsure; 营商办 accepts or dismisses
    OPEN = "open"  # 待认领
    CLAIMED = "claimed"  # 办理中
    RESOLVED = "resolved"  # 待评价
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    ACCEPT = "accept"  # 受理
    DISMISS = "dismiss"  # 驳回
    CLAIM = "claim"  # 认领
    ASSIGN = "assign"  # 交办
    PROGRESS = "progress"  # 进度
    TRANSFER = "transfer"  # 转办
    ASSIST = "assist"  # 协办
    RESOLVE = "resolve"  # 办结
    EXPLAIN = "explain"  # 说明办结
    RATE = "rate"  # 评价 (satisfied enough)
    REOPEN = "reopen"  # 评价 不满意 / 非常不满意
    WITHDRAW = "withdraw"  # 撤回
    URGE = "urge"  # 督办
    RECATEGORIZE = "recategorize"  # 归类
    SUPPLEMENT = "supplement"  # the enterprise adds details
    EXPIRE = "expire"  # not rated in time: closed as 未评价
    RECUR = "recur"  # 回头看: the problem came back
    ANSWER = "answer"  # the policy library answered a question: resolved by the system
    REFER = "refer"  # not satisfied with a library answer: open for the category's department
    REPORT_UP = "report_up"  # 上报: to the unit above (县区 → 市), its department for it
    RETURN_DOWN = "return_down"  # 退回: a ticket reported up, sent back to the unit it came from
    DISPATCH_DOWN = "dispatch_down"  # 下派: a child ticket for each unit below, the parent follows them
    CONCLUDE = "conclude"  # system: a 下派 child closed at 办结, its parent when every child is done


class EventKind(StrEnum):
    """Ticket events that are not lifecycle actions (those use the ``Action`` value as kind)."""

    CREATE = "create"
    ASSIGN_TASK = "assign_task"  # 交办 of a new task: the ticket is born claimed
    ATTACHMENT = "attachment"
    REMIND = "remind"
    COMMON = "common"  # joined a 共性问题 group


class Outcome(StrEnum):
    """How a ticket ended (``Issue.outcome``); a closed ticket keeps it when it goes 未评价."""

    RESOLVED = "resolved"  # 已解决
    EXPLAINED = "explained"  # 说明办结: lawfully cannot be done
    ANSWERED = "answered"  # the policy library answered it
    DISMISSED = "dismissed"  # 驳回
    WITHDRAWN = "withdrawn"  # 撤回


class IssueKind(StrEnum):
    APPEAL = "appeal"  # an enterprise's 诉求
    TASK = "task"  # 交办: a task a leader handed down


class Role(StrEnum):
    ENTERPRISE = "enterprise"
    HANDLER = "handler"
    LEADER = "leader"
    COORDINATOR = "coordinator"


class BindingStatus(StrEnum):
    """绑定: an unknown member asks to belong to an enterprise; the coordinator decides."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class NoticeKind(StrEnum):
    """通知: what an answer to it is."""

    RECEIPT = "receipt"  # 收到请回复: 收到 / 已阅 / 好的 counts
    SIGNUP = "signup"  # 请接龙: a 接龙 line (or 收到) counts as taking part
    REPORT = "report"  # 报送: the answer carries a short text or number


class NoticeStatus(StrEnum):
    DRAFT = "draft"  # recognised in a leader's message; waits for the poster's 「是」
    OPEN = "open"  # collecting 回执
    CLOSED = "closed"  # past its deadline: the poster got the missing list (late answers still count)
    DROPPED = "dropped"  # a draft nobody confirmed


class PolicyUseKind(StrEnum):
    """政策找企业: what an enterprise did with a policy it fits."""

    TOLD = "told"  # the bot pushed it to them (new, or its deadline nears)
    ASKED = "asked"  # they asked about it (政策 <编号>, or a question the library matched)
    APPLIED = "applied"  # 申请 <编号>: a 政策咨询 ticket for the policy's department


class Priority(IntEnum):
    """Which outbox messages go first when more are due than an account may send: answers to
    people, then reminders and the escalation ladder, then digests and rankings, then broadcasts
    and pushes. Within one priority, groups and private chats take turns."""

    ANSWER = 0  # acks, command answers, refusals
    REMINDER = 1  # reminders, the ladder, notice reminders
    DIGEST = 2  # digests, rankings, reports
    BROADCAST = 3  # welcome, events, policy pushes


class MoveReason(StrEnum):
    """Why a chat went from one bot account to another."""

    DOWN = "down"  # not connected, or its sends failing (throttled), longer than allowed
    BACK = "back"  # its own account is well again


PRIVATE_CHATS = "@private"  # the responders' key for every private chat


S = Status
# Not finished: the enterprise may still add details or withdraw it.
ACTIVE: frozenset[Status] = frozenset({S.CANDIDATE, S.OPEN, S.CLAIMED})
# A department owes work on it: what reminders chase and reports count as open or overdue.
WORKING: frozenset[Status] = frozenset({S.OPEN, S.CLAIMED})
FINISHED: frozenset[Status] = frozenset({S.CLOSED, S.WITHDRAWN})
# Handled by a department or the library: rated, counted for satisfaction, revisited (回头看).
HANDLED: frozenset[Outcome] = frozenset({Outcome.RESOLVED, Outcome.EXPLAINED})
# Not real appeals for 共性问题: unsure, withdrawn or dismissed.
NOT_COUNTED_STATUSES: frozenset[Status] = frozenset({S.CANDIDATE, S.WITHDRAWN})

# Events a coordinator's correction teaches the classifier from (handlers/intake/learning.py).
TEACHING: frozenset[Action] = frozenset({Action.RECATEGORIZE, Action.TRANSFER, Action.DISMISS})

MAX_TICKET_NO = 999_999_999  # nine digits: a longer number is a typing mistake, not a ticket
SYSTEM = "system"  # the actor id of scheduler jobs and the policy library
NOT_APPEAL = "非诉求"  # the classifier's label for chatter
FALLBACK_CATEGORY = "其他"


def values(members: frozenset[Status] | frozenset[Outcome] | frozenset[Action]) -> tuple[str, ...]:
    """Sorted plain strings, for SQL ``IN`` clauses."""
    return tuple(sorted(m.value for m in members))
