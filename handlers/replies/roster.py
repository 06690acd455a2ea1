"""How a 花名册 import's changes read in its record (the workbench's 花名册 page shows them)."""

from __future__ import annotations

from handlers.roster.entries import ROLE_WORDS, Changed
from storage.domain import Role

# The roles as the 花名册's 角色 column writes them (营商办, not the chat's 协调员).
ROLE_COLUMN = {role: word for word, role in reversed(ROLE_WORDS.items())}
FIELD_NAMES = {"role": "角色", "department": "部门", "enterprise": "企业", "name": "姓名"}


def _shown(field: str, value: str | None) -> str:
    if value is None or value == "":
        return "（无）"
    return ROLE_COLUMN[Role(value)] if field in ("role", "") else value


def change_line(c: Changed) -> str:
    """「h_gd_shi 施经理：角色 部门 → 营商办」, or 「新增 e_new 新老板（企业）」."""
    if not c.field:
        return f"新增 {c.member_id} {c.name}（{_shown('', c.after)}）"
    before, after = _shown(c.field, c.before), _shown(c.field, c.after)
    return f"{c.member_id} {c.name}：{FIELD_NAMES[c.field]} {before} → {after}"
