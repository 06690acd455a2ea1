"""Builders the scheduler tests share (their fixtures are in tests/scheduler/conftest.py)."""

from __future__ import annotations

from datetime import datetime

from bot.config import Config
from handlers.clock import TZ
from handlers.context import Services
from handlers.roster.model import Roster
from scheduler.deadlines import WorkingDayDeadlines
from scheduler.deps import Deps, make_calendar
from scheduler.settings import ScheduleSettings
from tests.support.chat import Chat
from tests.support.fakes import RecordingGateway
from tests.support.keyword_classifier import KeywordClassifier

# Appeals that the example keywords classify confidently, none of them urgent.
POLICY = "想申请专精特新认定，需要满足什么条件，怎么申请补贴"  # 政策咨询 → 经信局, 8 h / 5 days
LOAN = "企业续贷遇到困难，银行抽贷，资金周转紧张，想申请贷款"  # 融资信贷 → 金融局, 8 h / 7 days
URGENT = "园区突然停电，整条生产线停产，变压器烧了"  # 水电气暖 → 供电公司, urgent


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


def schedule(config: Config) -> ScheduleSettings:
    return config.schedule  # parsed once by load_config, with the roster's member ids


def services(roster: Roster, settings: ScheduleSettings) -> Services:
    policy = WorkingDayDeadlines(make_calendar(settings), roster, settings)
    return Services(roster=roster, classifier=KeywordClassifier(roster), deadlines=policy)


async def open_ticket(chat: Chat, text: str, by: str = "e_huake_liu") -> int:
    replies = await chat.say(text, by=by)
    first = replies[0].text
    assert "已受理 #" in first, first
    return int(first.split("#", 1)[1].split("【", 1)[0])


async def heard(chat: Chat, deps: Deps, now: datetime, job: object) -> list[str]:
    """Move the clock to ``now``, run ``job`` there and return what reached the group."""
    gateway: RecordingGateway = chat.gateway
    chat.clock.set(now)
    before = len(gateway.sent)
    await job(deps, now)  # type: ignore[operator]
    await chat.sender.deliver_due()
    return [m.text for m in gateway.sent[before:]]
