"""The one urgency rule: production stopped, people unpaid or a hazard go to the top of a list.

Urgent tickets count on the wall clock (``scheduler/deadlines.py``) and may wake people at night.
"""

from __future__ import annotations

import re

from handlers.intake.text import normalize

URGENT = re.compile(
    r"停产|停工|断电|停电(?!通知|计划|检修)|停水|断水|没水|停气|断气|停供|全停|全部停(了|下)"
    r"|工资.{0,4}发不(出|了)|发不(出|起).{0,2}工资|欠薪|讨薪|堵门"
    r"|火灾|着火|起火|失火|爆炸|泄漏|泄露|中毒|伤亡|塌方|紧急|急急|十万火急"
)


def is_urgent(text: str) -> bool:
    return URGENT.search(normalize(text)) is not None
