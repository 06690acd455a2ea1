"""绑定: an unknown member asks to belong to an enterprise; 营商办 confirms or rejects."""

from __future__ import annotations


def already_listed(as_what: str) -> str:
    return f"您已在名册中（{as_what}），无需绑定。"


def unknown_enterprise(name: str) -> str:
    return f"没有找到企业「{name}」，请写企业全称或简称，例如「绑定 华科电子」。"


def already_bound(enterprise: str) -> str:
    return f"您已绑定{enterprise}，无需重复。"


def requested(binding_id: int, member: str, enterprise: str, coordinators_at: str) -> str:
    return (
        f"绑定申请 {binding_id}：{member} → {enterprise}\n"
        f"{coordinators_at} 请核实后回复「确认绑定 {binding_id}」或「拒绝绑定 {binding_id}」。"
    )


def unknown_request(binding_id: int) -> str:
    return f"没有找到绑定申请 {binding_id}。"


def already_decided(binding_id: int, confirmed: bool) -> str:
    return f"绑定申请 {binding_id} 已处理过（{'已确认' if confirmed else '已拒绝'}）。"


def confirmed(member: str, enterprise: str) -> str:
    return f"已确认：@{member} 为{enterprise}成员，可以直接在群里提诉求。"


def rejected(binding_id: int, member: str, enterprise: str) -> str:
    return f"已拒绝绑定申请 {binding_id}（{member} → {enterprise}）。"
