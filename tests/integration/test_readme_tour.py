"""The README's two-minute tour, played exactly as written: every step gets an answer, none a refusal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import Config
from handlers.context import Services
from handlers.intake.classifier import TextClassifier
from tests.support.chat import ROOM, Chat, FreshClassifier

README = Path(__file__).resolve().parents[2] / "README.md"
STEP = re.compile(r"^\d+\. 选「(?P<who>[^」]+)」：(?P<said>.+)$")
REFUSALS = ("不能", "只有", "格式：", "没有找到", "看不懂", "没看懂", "出错")


@pytest.fixture
def services(demo_config: Config, session_model: TextClassifier) -> Services:
    """The README describes the demo as shipped (config.example.toml with its county and park)."""
    roster = demo_config.roster
    return Services(roster=roster, classifier=FreshClassifier(session_model, roster), settings=demo_config.settings,
                    policies=demo_config.policies)  # fmt: skip


def tour(start: str = "两分钟走完一遍") -> list[tuple[str, str]]:
    """(persona name, what to type) for each backticked message of the numbered tour steps."""
    text = README.read_text(encoding="utf-8")
    section = text.split(start, 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    steps = [m for line in section.splitlines() if (m := STEP.match(line.strip()))]
    return [(m["who"], said) for m in steps for said in re.findall(r"`([^`]+)`", m["said"])]


def test_the_tour_is_there() -> None:
    assert len(tour()) >= 8 and tour()[0][0] == "华科电子刘总"


async def test_the_tour_plays_as_written(chat: Chat, demo_config: Config) -> None:
    ids = {m.name: m.id for m in demo_config.roster.members}
    for who, said in tour():
        await chat.say(said, by=ids[who])
        answer = "\n".join(m.text for m in chat.last)
        assert answer, f"{who}「{said}」got no answer"
        assert not any(word in answer for word in REFUSALS), f"{who}「{said}」was refused: {answer}"
    assert chat.last[0].text.startswith("#1 评价：满意，已关闭")


async def test_the_levels_tour_plays_as_written(chat: Chat, demo_config: Config) -> None:
    """上浮 and 下沉 across the city's, the county's and the park's groups, each said where its
    person is (their first group)."""
    roster = demo_config.roster
    ids = {m.name: m for m in roster.members}
    steps = tour("在新启动的模拟器里（`make reset` 清空后）走一遍")
    assert len(steps) == 10
    for who, said in steps:
        member = ids[who]
        await chat.say(said, by=member.id, room_id=member.rooms[0] if member.rooms else ROOM)
        answer = "\n".join(m.text for m in chat.last)
        assert answer, f"{who}「{said}」got no answer"
        assert not any(word in answer for word in REFUSALS), f"{who}「{said}」was refused: {answer}"
        if said.startswith("上报 1"):
            assert "已由涪城区上报绵阳市，转市人力资源和社会保障局办理" in answer
        if said.startswith("交办"):
            assert "涪城区 #4｜涪城区人力资源和社会保障局" in answer
        if said.startswith("办结 4"):
            assert "✅ #3 下派的单位均已办结" in answer
    assert chat.last[0].text.startswith("#1 评价：满意，已关闭")


async def test_the_notices_and_policies_tour_plays_as_written(chat: Chat, demo_config: Config) -> None:
    ids = {m.name: m.id for m in demo_config.roster.members}
    steps = tour("试一试（这几步同样由测试逐条执行）")
    assert len(steps) == 8
    for who, said in steps:
        await chat.say(said, by=ids[who])
        answer = "\n".join(m.text for m in chat.last)
        assert answer, f"{who}「{said}」got no answer"
        assert not any(word in answer for word in REFUSALS), f"{who}「{said}」was refused: {answer}"
        if said == "回执情况 1":
            assert (
                "已报送 2/6" in answer
                and "报送：华科电子 需普工 30 人、技工 5 人；九洲智联 需技工 12 人" in answer
            )
    assert chat.last[0].text.startswith("政策找企业（企业数）：告知｜咨询｜申请")
    assert "3. 【政策 3】专精特新中小企业奖励：0｜1｜1" in chat.last[0].text
