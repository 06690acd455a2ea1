"""催办、提级督办 and never spamming: each rule with a fixed clock, no sleeping."""

from __future__ import annotations

from handlers.context import Services
from scheduler.deps import Deps
from scheduler.jobs.reminders import remind
from scheduler.settings import ScheduleSettings
from storage.uow import UnitOfWorkFactory
from tests.support import scheduler as s
from tests.support.chat import Chat


async def test_unclaimed_ticket_reminds_its_department_once(chat: Chat, deps: Deps) -> None:
    no = await s.open_ticket(chat, s.POLICY)  # Monday 09:30, 8 working hours → Tuesday 10:30
    assert await s.heard(chat, deps, s.at(2026, 11, 24, 10, 29), remind) == []
    [text] = await s.heard(chat, deps, s.at(2026, 11, 24, 10, 30), remind)
    assert text.startswith(f"⏰ #{no}【政策咨询】已等待 8 个工作小时无人认领")
    assert "@经信局王科长" in text and f"「认领 {no}」" in text
    assert chat.gateway.sent[-1].mentions == ("h_jx_wang",)
    assert await s.heard(chat, deps, s.at(2026, 11, 24, 11, 0), remind) == []


async def test_warning_before_the_resolve_deadline(chat: Chat, deps: Deps) -> None:
    no = await s.open_ticket(chat, s.POLICY)  # 5 working days → Monday 30 Nov 09:30
    await chat.say(f"认领 {no}", by="h_jx_wang")
    assert await s.heard(chat, deps, s.at(2026, 11, 27, 10, 0), remind) == []
    [text] = await s.heard(chat, deps, s.at(2026, 11, 27, 15, 0), remind)  # 4 working hours before
    assert text.startswith(f"⏳ #{no} 将于 11月30日 09:30 到期") and f"「办结 {no}" in text


async def test_quiet_hours_wait_for_the_next_working_morning(chat: Chat, deps: Deps) -> None:
    no = await s.open_ticket(chat, s.POLICY)
    assert await s.heard(chat, deps, s.at(2026, 11, 24, 22, 0), remind) == []
    assert await s.heard(chat, deps, s.at(2026, 11, 25, 7, 45), remind) == []
    [text] = await s.heard(chat, deps, s.at(2026, 11, 25, 8, 30), remind)
    assert f"#{no}" in text


async def test_weekend_reminders_wait_for_monday(chat: Chat, deps: Deps) -> None:
    chat.clock.set(s.at(2026, 11, 26, 16, 30))  # Thursday: claim due Friday 14:30
    no = await s.open_ticket(chat, s.POLICY)
    assert await s.heard(chat, deps, s.at(2026, 11, 28, 10, 0), remind) == []  # Saturday
    assert await s.heard(chat, deps, s.at(2026, 11, 30, 8, 0), remind) == []  # Monday, before work
    [text] = await s.heard(chat, deps, s.at(2026, 11, 30, 8, 30), remind)
    assert f"#{no}" in text


async def test_urgent_ticket_reminds_at_night(chat: Chat, deps: Deps) -> None:
    chat.clock.set(s.at(2026, 11, 28, 23, 0))  # Saturday night
    no = await s.open_ticket(chat, s.URGENT, by="e_fucheng_jiang")
    [text] = await s.heard(chat, deps, s.at(2026, 11, 28, 23, 30), remind)
    assert f"#{no}" in text and "30 分钟" in text and "@供电公司施经理" in text


async def test_two_reminders_due_together_are_merged(chat: Chat, deps: Deps) -> None:
    a = await s.open_ticket(chat, s.POLICY)
    b = await s.open_ticket(chat, s.LOAN, by="e_anzhou_luo")
    [text] = await s.heard(chat, deps, s.at(2026, 11, 24, 10, 30), remind)
    assert text.startswith("⏰ 催办提醒（2 件）")
    assert f"1. ⏰ #{a}" in text and f"2. ⏰ #{b}" in text
    assert set(chat.gateway.sent[-1].mentions) == {"h_jx_wang", "h_jr_zheng"}


async def test_after_48_hours_of_downtime_one_catch_up_per_ticket(chat: Chat, deps: Deps) -> None:
    a = await s.open_ticket(chat, s.POLICY)  # due Monday 30 Nov 09:30
    b = await s.open_ticket(chat, s.LOAN, by="e_anzhou_luo")  # due Wednesday 2 Dec 09:30
    await chat.say(f"认领 {b}", by="h_jr_zheng")
    # The bot was down from Monday 30 Nov to Wednesday 2 Dec: claim, warning and overdue all passed.
    [text] = await s.heard(chat, deps, s.at(2026, 12, 2, 10, 0), remind)
    assert text.count(f"#{a}") == 1 and text.count(f"#{b}") == 1
    assert f"🔴#{a} 已超期" in text and f"🔴#{b} 已超期" in text and "⏰ #" not in text.split("\n", 1)[1]
    assert await s.heard(chat, deps, s.at(2026, 12, 2, 10, 1), remind) == []


async def test_escalation_ladder_climbs_with_lateness(chat: Chat, deps: Deps) -> None:
    no = await s.open_ticket(chat, s.POLICY)
    await chat.say(f"认领 {no}", by="h_jx_wang")
    [first] = await s.heard(chat, deps, s.at(2026, 11, 30, 9, 30), remind)
    assert "第 1 级" in first and "@经信局王科长" in first and "周副市长" not in first
    assert await s.heard(chat, deps, s.at(2026, 12, 1, 9, 30), remind) == []
    [second] = await s.heard(chat, deps, s.at(2026, 12, 2, 9, 30), remind)  # 2 working days late
    assert "第 2 级" in second and "@周副市长" in second
    [third] = await s.heard(chat, deps, s.at(2026, 12, 7, 9, 30), remind)  # 5 working days late
    assert "提级督办" in third and "@陈市长" in third


async def test_urge_raises_the_level_and_shortens_the_deadline(chat: Chat, deps: Deps) -> None:
    no = await s.open_ticket(chat, s.LOAN, by="e_anzhou_luo")  # due Wednesday 2 Dec 09:30
    await chat.say(f"认领 {no}", by="h_jr_zheng")
    chat.clock.set(s.at(2026, 11, 24, 9, 30))
    await chat.say(f"督办 {no} 请尽快", by="ld_chen")  # half of 7 days from now: Friday 27 Nov 15:00
    [text] = await s.heard(chat, deps, s.at(2026, 11, 27, 15, 0), remind)
    assert f"#{no} 已超期" in text and "第 2 级" in text and "@周副市长" in text


async def test_reopened_twice_goes_straight_to_the_leaders(chat: Chat, deps: Deps) -> None:
    no = await s.open_ticket(chat, s.POLICY)
    await chat.say(f"认领 {no}", by="h_jx_wang")
    for _ in range(2):
        await chat.say(f"办结 {no} 已答复", by="h_jx_wang")
        await chat.say(f"评价 {no} 不满意", by="e_huake_liu")
    # Reopened Monday 09:30 with half of 5 working days → Wednesday 15:00.
    [text] = await s.heard(chat, deps, s.at(2026, 11, 25, 15, 0), remind)
    assert "提级督办" in text and "@陈市长" in text


async def test_transfer_restarts_the_claim_clock_with_its_own_reminder(
    chat: Chat, deps: Deps, uow: UnitOfWorkFactory
) -> None:
    """After 转办 the new department gets the full claim time and its own reminder, rather than
    silence because the first department's claim reminder already fired."""
    await chat.say("诉求 厂里招不到熟练技工，缺口30多人", by="e_huake_liu")
    [first] = await s.heard(chat, deps, s.at(2026, 11, 24, 10, 30), remind)  # 8 working hours later
    assert "@人社局孙科长" in first and "「认领 1」" in first
    chat.clock.set(s.at(2026, 11, 24, 11, 0))
    await chat.say("转办 1 经信局", by="h_rs_sun")
    async with uow() as u:
        issue = await u.tickets.by_no(1)
        assert issue is not None and issue.claim_due == s.at(2026, 11, 25, 12, 0)
    assert await s.heard(chat, deps, s.at(2026, 11, 25, 11, 59), remind) == []
    [second] = await s.heard(chat, deps, s.at(2026, 11, 25, 12, 0), remind)
    assert "@经信局王科长" in second and "「认领 1」" in second


async def test_two_bot_processes_send_each_reminder_once(
    chat: Chat, deps: Deps, db_url: str, services: Services, schedule: ScheduleSettings
) -> None:
    """Two processes (two engines, one database) run the reminder job at the same moment."""
    import asyncio

    from sqlalchemy import func, select

    from storage.db import create_engine, session_factory
    from storage.models import OutboxMessage, ReminderMark

    await s.open_ticket(chat, s.POLICY)
    await s.open_ticket(chat, s.LOAN, by="e_fucheng_jiang")
    other_engine = create_engine(db_url)
    other = Deps.build(UnitOfWorkFactory(session_factory(other_engine)), services, chat.clock, schedule)
    moment = s.at(2026, 11, 24, 10, 30)
    chat.clock.set(moment)
    counts = await asyncio.gather(remind(deps, moment), remind(other, moment), return_exceptions=True)
    await other_engine.dispose()
    assert not [c for c in counts if isinstance(c, BaseException)], counts
    async with deps.uow() as u:
        outbox = await u.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.text.like("⏰%")))  # fmt: skip
        marks = await u.session.scalar(select(func.count()).select_from(ReminderMark))
    assert (outbox, marks) == (1, 2)  # one merged message for the two tickets, sent once
    assert sorted(counts) == [0, 2]  # type: ignore[type-var]  # one process reminded both tickets


async def test_an_unclaimed_ticket_climbs_the_ladder_until_someone_acts(chat: Chat, deps: Deps) -> None:
    """Issue 12: one reminder, then a week of silence. Now every rung comes, a working day apart."""
    no = await s.open_ticket(chat, s.LOAN)  # 金融局, claim due Tuesday 24 Nov 10:30; resolve in 7 days
    [first] = await s.heard(chat, deps, s.at(2026, 11, 24, 10, 30), remind)
    assert first.startswith(f"⏰ #{no}【融资信贷】") and "@金融局郑科长" in first
    assert await s.heard(chat, deps, s.at(2026, 11, 25, 10, 30), remind) == []  # a day later: not yet
    [second] = await s.heard(chat, deps, s.at(2026, 11, 26, 10, 30), remind)  # 2 working days late
    assert second.startswith(f"⏰【第2级提醒】 #{no}") and "@金融局郑科长" in second
    assert "@" in second.split("@金融局郑科长", 1)[1]  # and the department's 分管领导 as well
    [third] = await s.heard(chat, deps, s.at(2026, 12, 1, 10, 30), remind)  # 5 working days late
    assert third.startswith(f"⏰【第3级提醒】 #{no}") and "@陈市长" in third
    await chat.say(f"认领 {no}", by="h_jr_zheng")
    assert await s.heard(chat, deps, s.at(2026, 12, 1, 11, 0), remind) == []  # claimed: the ladder stops


async def test_a_doubtful_ticket_chases_the_coordinator_and_the_clock_starts_at_acceptance(
    chat: Chat, deps: Deps, uow: UnitOfWorkFactory
) -> None:
    """Issue 12: 营商办 was told once and never chased; after 受理 the claim clock ran from the message."""
    from dataclasses import replace

    from storage import reports

    chat.dispatcher.services.settings = replace(chat.dispatcher.services.settings, confidence_threshold=1.0)
    await chat.say(s.LOAN, by="e_huake_liu")  # Monday 09:30: doubtful, claim time 8 working hours
    assert await s.heard(chat, deps, s.at(2026, 11, 24, 10, 29), remind) == []
    sent = len(chat.gateway.sent)
    await s.heard(chat, deps, s.at(2026, 11, 24, 10, 30), remind)
    [note] = chat.gateway.sent[sent:]
    assert note.to_id == "co_yang" and note.room_id is None  # private: the group never saw it
    assert note.text.startswith("⏰ 待确认 #1【融资信贷?】已等待") and "「受理 1」" in note.text
    sent = len(chat.gateway.sent)
    await s.heard(chat, deps, s.at(2026, 11, 26, 10, 30), remind)  # two working days on: leaders too
    later = chat.gateway.sent[sent:]
    assert {m.to_id for m in later} == {"co_yang", "ld_chen", "ld_zhou"}
    assert later[0].text.startswith("⏰【第2级提醒】 待确认 #1")
    await chat.say("受理 1", by="co_yang")  # Thursday 10:30: now it reaches 金融局
    assert "时限：12月7日" in chat.last[0].text  # 7 working days from 受理, not from Monday
    chat.clock.set(s.at(2026, 11, 26, 10, 40))
    await chat.say("认领 1", by="h_jr_zheng")  # ten minutes after it reached them
    async with uow() as u:
        [row] = await reports.ranking(u.session, s.at(2026, 11, 23, 0, 0), s.at(2026, 11, 27, 0, 0))
    assert row.department == "市金融工作局" and row.median_claim_hours is not None
    assert row.median_claim_hours < 0.2  # not the 3 days since the message
