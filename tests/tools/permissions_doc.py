"""``python -m tests.tools.permissions_doc``: write docs/permissions.md from ``handlers.permissions``.

The document is generated, never edited by hand: ``tests/unit/test_permissions_doc.py`` fails when
it differs from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from handlers.permissions import PERMITTED, Relation, View
from handlers.replies.texts import ACTION_NAMES
from storage.domain import Action

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
RELATIONS = {
    Relation.REPORTER: "提出人",
    Relation.COLLEAGUE: "同企业同事",
    Relation.OTHER_ENTERPRISE: "其他企业",
    Relation.UNKNOWN: "名册外成员",
    Relation.LEAD: "承办部门",
    Relation.ASSISTING: "协办部门",
    Relation.OTHER_DEPARTMENT: "其他部门",
    Relation.LEADER: "本级或上级领导",
    Relation.COORDINATOR: "本级或上级营商办",
    Relation.ORIGIN_LEADER: "已上报诉求的下级领导",
    Relation.ORIGIN_COORDINATOR: "已上报诉求的下级营商办",
    Relation.OTHER_UNIT_LEADER: "其他单位领导",
    Relation.OTHER_UNIT_COORDINATOR: "其他单位营商办",
}
VERBS: dict[Action | View, str] = {
    **{a: f"{ACTION_NAMES[a]}（{a.value}）" for a in Action},
    Action.REOPEN: "评价·不满意（reopen）",
    Action.REFER: "评价·不满意，政策解答后（refer）",
    Action.EXPIRE: "未评价关闭（expire，系统）",
    Action.ANSWER: "政策解答（answer，系统）",
    View.TICKET: "查询 / 列表（view）",
    View.CANDIDATE: "查询待确认诉求（view_candidate）",
}
HEAD = """# Who may do what (generated)

Generated from `handlers/permissions.py` (`PERMITTED`) by `python -m tests.tools.permissions_doc`;
`lifecycle.check` reads the same table for every command, and `tests/integration/test_permissions.py`
plays every cell through the real dispatcher. Do not edit by hand.

Columns are the actor's relation to the ticket; ✓ = may, — = refused with a one-line reason and no
change. *When* an action is possible (the ticket's status) is the other table, `TRANSITIONS` in
`handlers/lifecycle.py`.

"""
NOTES = """
Notes:

- 认领 belongs to the department the ticket is routed to. Another department that thinks it should
  handle it is told who owns it and asks 营商办 or a leader for 「转办 N 部门」; a ticket not yet
  routed (待分派) is handed out with 「交办 N 部门」.
- 查询 in a group shows only what that group already saw: a ticket of another group, or a doubtful
  (待确认) one, is sent to the asker privately. Lists (我的、待认领、超期) are scoped the same way:
  an enterprise sees its own, a department its own (协办 included for 查询), leaders and 营商办 all;
  doubtful tickets are listed only to 营商办 in a private chat.
- A person outside the roster who raised a ticket is its 提出人; once 营商办 confirms a 绑定 they
  are a member of that enterprise.
- The simulator's private chats (`dm:` rooms) are readable only with the admin token.
"""


def render() -> str:
    columns = list(Relation)
    lines = ["| 操作 | " + " | ".join(RELATIONS[r] for r in columns) + " |",
             "|---|" + "---|" * len(columns)]  # fmt: skip
    for what, allowed in PERMITTED.items():
        cells = " | ".join("✓" if r in allowed else "—" for r in columns)
        lines.append(f"| {VERBS[what]} | {cells} |")
    return HEAD + "\n".join(lines) + "\n" + NOTES


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}")
    sys.exit(0)
