"""Reading notices the way people write them: deadlines, 收到, quotes, 接龙, and the 对象 words."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.clock import TZ
from handlers.notices import answers
from handlers.notices.audience import units, unknown_words
from handlers.notices.when import find_deadline
from handlers.roster.model import Roster

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=TZ)  # a Monday morning
ROOM = "mianyang-qiyejia@chatroom"


@pytest.mark.parametrize(
    ("text", "moment", "words"),
    [
        ("请各企业于周五17:00前报送", (12, 4, 17, 0), "周五17:00"),
        ("明天上午9点企业服务日", (12, 1, 9, 0), "明天上午9点"),
        ("明早10点前报送", (12, 1, 10, 0), "明早10点"),
        ("今晚8点前回复", (11, 30, 20, 0), "今晚8点"),
        ("截止 12月5日", (12, 5, 17, 30), "12月5日"),
        ("2026-12-03 12:00", (12, 3, 12, 0), "2026-12-03 12:00"),
        ("下周一下午3点", (12, 7, 15, 0), "下周一下午3点"),
        ("本周五中午12点", (12, 4, 12, 0), "本周五中午12点"),
        ("周一", (11, 30, 17, 30), "周一"),  # said on a Monday morning: today, at the end of the day
        ("5号前", (12, 5, 17, 30), "5号"),
        ("18:00前", (11, 30, 18, 0), "18:00"),
        ("１２月３日１５：００", (12, 3, 15, 0), "12月3日15:00"),
        ("下午3点半", (11, 30, 15, 30), "下午3点半"),
    ],
)
def test_deadlines_as_people_write_them(text: str, moment: tuple[int, int, int, int], words: str) -> None:
    found = find_deadline(text, NOW)
    assert found is not None
    month, day, hour, minute = moment
    assert (found.moment, found.words) == (datetime(2026, month, day, hour, minute, tzinfo=TZ), words)


@pytest.mark.parametrize("text", ["2月30日", "25:00", "3号码是多少", "请9点前", "没有时间"])
def test_no_deadline_where_there_is_none(text: str) -> None:
    assert find_deadline(text, NOW) is None


def test_a_date_already_past_means_next_years() -> None:
    found = find_deadline("11月1日", NOW)
    assert found is not None and found.moment == datetime(2027, 11, 1, 17, 30, tzinfo=TZ)


@given(st.text(max_size=80))
def test_any_text_reads_without_error(text: str) -> None:
    found = find_deadline(text, NOW)
    assert found is None or found.moment > NOW


@pytest.mark.parametrize(
    ("text", "ack", "only"),
    [
        ("收到", True, True), ("收到！", True, True), ("华科收到", True, True), ("好的👌", True, True),
        ("已阅", True, True), ("1", True, True), ("收到，马上安排", True, False),
        ("收到了但是我们的贷款还没批下来，能不能帮忙问问", False, False), ("园区又停电了", False, False),
    ],
)  # fmt: skip
def test_plain_acknowledgements(text: str, ack: bool, only: bool) -> None:
    assert (answers.is_ack(text), answers.only_ack(text)) == (ack, only)


def test_a_wechat_quote_is_read() -> None:
    quote = answers.quote_of("「营商办杨主任：请各企业周五前报送」\n- - - - - - - - - - - - - - -\n收到")
    assert quote == answers.Quote("请各企业周五前报送", "收到")
    assert answers.quote_of("收到") is None


def test_a_jielong_is_read(roster: Roster) -> None:
    chain = answers.chain_of(
        "#接龙\n明天企业服务日，参加的请接龙\n\n1. 华科电子 刘总\n2. 九洲智联林总\n3. 张三"
    )
    assert chain is not None and chain.header == "明天企业服务日，参加的请接龙"
    named = [[m.id for m in answers.named_in(line, roster, ROOM)] for line in chain.lines]
    assert named == [["e_huake_liu"], ["e_jiuzhou_lin"], []]
    assert answers.chain_of("我们的问题：1. 停电 ") is None  # one numbered line without 接龙: a sentence


def test_audience_words(roster: Roster) -> None:
    def names(spec: str) -> list[str]:
        return [u.name for u in units(spec, roster, ROOM, "co_yang")]

    assert len(names("全体")) == 9 and names("专精特新") == ["华科电子", "九洲智联", "科创智能"]
    assert names("涪城区") == ["华科电子", "涪城新材"] and names("小微") == ["游仙物流", "羌山茶业"]
    assert names("人社局") == ["人社局孙科长", "人社局钱副科长"]
    assert len(names("各部门")) == 15 and names("专精特新、小微")[-2:] == ["游仙物流", "羌山茶业"]
    assert unknown_words("火星 专精特新", roster) == ["火星"]
