"""What the group's members hit in the second pass (issue 12), told as the group would see it."""

from __future__ import annotations

import pytest

from tests.support.chat import Chat

BOSS, POWER, COORD = "e_huake_liu", "h_gd_shi", "co_yang"


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("认领 abc", "格式：认领 <编号>，例如「认领 12」。"),
        ("认领 一", "格式：认领 <编号>，例如「认领 12」。"),
        ("认领abc", "格式：认领 <编号>，例如「认领 12」。"),
        ("认领 1234567890", "没有找到 #1234567890，请核对编号（发「我的」可查看相关诉求）。"),
    ],
)
async def test_a_command_word_that_does_not_parse_gets_its_usage(chat: Chat, said: str, answer: str) -> None:
    await chat.say(said, by=POWER)
    assert chat.one_reply() == answer


async def test_sentences_that_start_with_a_command_word_stay_sentences(chat: Chat) -> None:
    await chat.say("说明一下情况，我们下午到现场", by=POWER)
    assert chat.silent()
    await chat.say("说明 这个事情我们上周已经跟进过了", by=POWER)
    assert chat.silent()


def test_less_than_an_hour_is_said_in_minutes() -> None:
    from handlers.replies.reminders import lateness

    assert lateness(0.0, wall_clock=False, hours_per_day=7) == "1 分钟"
    assert lateness(0.2, wall_clock=False, hours_per_day=7) == "12 分钟"
    assert lateness(0.5, wall_clock=True, hours_per_day=7) == "30 分钟"
    assert lateness(3, wall_clock=False, hours_per_day=7) == "3 个工作小时"


async def test_a_task_handed_down_does_not_count_as_claimed_at_once(chat: Chat) -> None:
    await chat.say("交办 帮华科电子对接供电线路改造 供电公司", by="ld_chen")
    await chat.say("统计", by="ld_chen")
    line = next(x for x in chat.one_reply().splitlines() if "供电公司" in x)
    assert "认领用时中位 —" in line  # not 「0.0 小时」
