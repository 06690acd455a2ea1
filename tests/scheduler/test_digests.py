"""日报、周研判、月考核、统计, rating reminders, 回头看 and event notices — fixed clock, no sleeping."""

from __future__ import annotations

from scheduler.deps import Deps
from scheduler.jobs.aftercare import aftercare
from scheduler.jobs.digests import daily_digest, monthly_report, weekly_ranking
from scheduler.jobs.events import announce_events
from tests.support import scheduler as s
from tests.support.chat import Chat


def private_to(chat: Chat, member: str) -> list[str]:
    return [m.text for m in chat.gateway.sent if m.to_id == member]


async def test_no_empty_digest(chat: Chat, deps: Deps) -> None:
    assert await s.heard(chat, deps, s.at(2026, 11, 24, 8, 45), daily_digest) == []
    assert private_to(chat, "ld_chen") == []


async def test_daily_digest_to_leaders_once_with_the_overdue_list(chat: Chat, deps: Deps) -> None:
    a = await s.open_ticket(chat, s.POLICY)
    await chat.say(f"认领 {a}", by="h_jx_wang")
    await s.open_ticket(chat, s.LOAN, by="e_anzhou_luo")
    chat.clock.set(s.at(2026, 12, 1, 9, 0))  # Tuesday: #a overdue since Monday 09:30
    assert await daily_digest(deps, s.at(2026, 12, 1, 9, 0))
    await chat.sender.deliver_due()
    [text] = private_to(chat, "ld_chen")
    # #b was never claimed: it is overdue too, in the digest as in 「超期」 (one query for both).
    assert text.startswith("📊 助企日报（12月1日）") and "超期在办 2 件" in text
    assert f"#{a}【政策咨询】经信局" in text and "｜超期 6.2 个工作小时" in text and "督办" in text
    assert "【融资信贷】金融局" in text and "｜未认领，超期 4.8 个工作日" in text
    await chat.say("超期", by="ld_chen")
    listed = chat.one_reply()
    assert listed.startswith("超期诉求（2）") and f"#{a}【政策咨询】" in listed
    assert private_to(chat, "ld_zhou") == [text]
    assert not await daily_digest(deps, s.at(2026, 12, 1, 10, 0))


async def test_daily_digest_skips_new_year_and_covers_it_after(chat: Chat, deps: Deps) -> None:
    chat.clock.set(s.at(2026, 12, 31, 10, 0))
    await s.open_ticket(chat, s.POLICY)
    for day in range(1, 4):  # 元旦 2027 (from the holidays package) and the weekend: no digest
        assert not await daily_digest(deps, s.at(2027, 1, day, 9, 0))
    chat.clock.set(s.at(2027, 1, 4, 9, 0))
    assert await daily_digest(deps, s.at(2027, 1, 4, 9, 0))
    await chat.sender.deliver_due()
    [text] = private_to(chat, "ld_chen")
    assert text.startswith("📊 助企日报（1月4日）") and "新增 1 件" in text


async def test_weekly_ranking_in_the_group(chat: Chat, deps: Deps) -> None:
    a = await s.open_ticket(chat, s.POLICY)
    await chat.say(f"认领 {a}", by="h_jx_wang")
    await chat.say(f"办结 {a} 已答复条件", by="h_jx_wang")
    await chat.say(f"评价 {a} 满意", by="e_huake_liu")
    assert await s.heard(chat, deps, s.at(2026, 11, 30, 8, 59), weekly_ranking) == []
    [text] = await s.heard(chat, deps, s.at(2026, 11, 30, 9, 0), weekly_ranking)
    assert text.startswith("🏆 周研判：部门办理排名（11月23日–11月29日）")
    assert "1. 经信局 受理 1｜办结 1｜按时 100%｜解决 100%｜满意 100%｜重开 0%｜认领用时中位 0.0 小时" in text
    assert await s.heard(chat, deps, s.at(2026, 11, 30, 10, 0), weekly_ranking) == []


async def test_monthly_report_to_leaders(chat: Chat, deps: Deps) -> None:
    await s.open_ticket(chat, s.POLICY)
    chat.clock.set(s.at(2026, 12, 1, 9, 30))
    assert await monthly_report(deps, s.at(2026, 12, 1, 9, 30))
    await chat.sender.deliver_due()
    [text] = private_to(chat, "ld_chen")
    assert text.startswith("📈 月度考核（2026年11月）：受理 1 件")


async def test_stats_shows_current_figures(chat: Chat) -> None:
    a = await s.open_ticket(chat, s.POLICY)
    await chat.say(f"认领 {a}", by="h_jx_wang")
    await chat.say("统计", by="ld_chen")
    text = chat.one_reply()
    assert "近 30 天部门情况" in text and "经信局 受理 1" in text
    chat.clock.set(s.at(2026, 12, 7, 9, 30))  # two weeks later the table is still there
    await chat.say("统计", by="ld_chen")
    assert "经信局 受理 1" in chat.one_reply()


async def test_unrated_reminder_then_closed_as_unrated(chat: Chat, deps: Deps) -> None:
    a = await s.open_ticket(chat, s.POLICY)
    await chat.say(f"认领 {a}", by="h_jx_wang")
    await chat.say(f"办结 {a} 已答复", by="h_jx_wang")  # Monday 09:30; 3 working days → Thursday
    assert await s.heard(chat, deps, s.at(2026, 11, 26, 9, 29), aftercare) == []
    [text] = await s.heard(chat, deps, s.at(2026, 11, 26, 9, 30), aftercare)
    assert text.startswith(f"📝 #{a} 已办结") and "@华科电子刘总" in text and f"「评价 {a} 满意」" in text
    assert await s.heard(chat, deps, s.at(2026, 11, 27, 9, 30), aftercare) == []
    assert await s.heard(chat, deps, s.at(2026, 11, 30, 9, 30), aftercare) == []  # closed quietly
    await chat.say(f"查询 {a}", by="e_huake_liu")
    assert "已关闭" in chat.one_reply()


async def test_revisit_asks_once_and_recur_reopens(chat: Chat, deps: Deps) -> None:
    a = await s.open_ticket(chat, s.POLICY)
    await chat.say(f"认领 {a}", by="h_jx_wang")
    await chat.say(f"办结 {a} 已答复", by="h_jx_wang")
    await chat.say(f"评价 {a} 满意", by="e_huake_liu")  # closed Monday 23 Nov 09:30
    assert await s.heard(chat, deps, s.at(2026, 12, 22, 10, 0), aftercare) == []
    [text] = await s.heard(chat, deps, s.at(2026, 12, 23, 9, 30), aftercare)
    assert text.startswith("🔁 回头看") and f"「复发 {a}」" in text
    assert await s.heard(chat, deps, s.at(2026, 12, 24, 9, 30), aftercare) == []
    await chat.say(f"复发 {a}", by="e_huake_liu")
    assert "已重新办理" in chat.one_reply()


async def test_event_announced_once_ahead(chat: Chat, deps: Deps) -> None:
    assert await s.heard(chat, deps, s.at(2026, 12, 11, 8, 59), announce_events) == []
    [text] = await s.heard(chat, deps, s.at(2026, 12, 11, 9, 0), announce_events)
    assert text.startswith("📅 预告：企业服务日 12月12日 09:00") and "市政务服务中心三楼" in text
    assert await s.heard(chat, deps, s.at(2026, 12, 11, 10, 0), announce_events) == []
    [tea] = await s.heard(chat, deps, s.at(2026, 12, 15, 14, 30), announce_events)
    assert tea.startswith("📅 预告：周二晚茶会 12月15日 19:30")
