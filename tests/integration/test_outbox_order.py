"""The outbox's order when more is due than can go at once: answers first, then reminders, then
digests, then broadcasts; within a priority the chats take turns, so one busy group or a long push
never holds another group's 已受理 behind it. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.domain import Priority
from storage.uow import UnitOfWorkFactory

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def _queue(uow: UnitOfWorkFactory, rows: list[tuple[str, Priority]]) -> None:
    async with uow() as u:
        for i, (room, priority) in enumerate(rows):
            u.outbox.add(text=f"{room}-{i}", room_id=room, to_id=None, mentions=(), at=AT, priority=priority)
        await u.commit()


async def _next(uow: UnitOfWorkFactory, most: int) -> list[str]:
    async with uow() as u:
        return [row.text for row in await u.outbox.claim_due(AT, limit=most)]


async def test_a_busy_group_does_not_hold_another_groups_answer(uow: UnitOfWorkFactory) -> None:
    await _queue(uow, [("busy", Priority.ANSWER)] * 25 + [("quiet", Priority.ANSWER)])
    first = await _next(uow, 3)
    assert first == ["busy-0", "quiet-25", "busy-1"]  # the quiet group's ack is second, not 26th


async def test_answers_go_before_reminders_digests_and_pushes(uow: UnitOfWorkFactory) -> None:
    pushes = [(f"room{i}", Priority.BROADCAST) for i in range(30)]
    await _queue(uow, [*pushes, ("r", Priority.DIGEST), ("r", Priority.REMINDER), ("quiet", Priority.ANSWER)])
    assert await _next(uow, 4) == ["quiet-32", "r-31", "r-30", "room0-0"]


async def test_one_chats_messages_keep_their_order(uow: UnitOfWorkFactory) -> None:
    await _queue(uow, [("a", Priority.ANSWER)] * 4 + [("b", Priority.ANSWER)] * 2)
    order = await _next(uow, 6)
    assert [t for t in order if t.startswith("a")] == ["a-0", "a-1", "a-2", "a-3"]
    assert order[:4] == ["a-0", "b-4", "a-1", "b-5"]


async def test_two_senders_never_take_the_same_row(uow: UnitOfWorkFactory) -> None:
    """Two processes leasing at once (PostgreSQL: SKIP LOCKED over the ranked rows)."""
    await _queue(uow, [(f"room{i % 3}", Priority.ANSWER) for i in range(12)])
    async with uow() as first, uow() as second:
        mine = [r.id for r in await first.outbox.claim_due(AT, limit=5)]
        if first.session.get_bind().dialect.name == "sqlite":
            return  # one writer at a time: the second would wait for the first's lock
        theirs = [r.id for r in await second.outbox.claim_due(AT, limit=5)]
    assert mine and theirs and not set(mine) & set(theirs)


async def test_a_waiting_reminder_is_joined_by_the_next_for_its_room(uow: UnitOfWorkFactory) -> None:
    """The account's budget was spent: the room's reminders wait; the next round joins them, so
    the room gets one message once the account may send, not a flood."""
    from handlers.roster.model import Member, Room, Roster
    from scheduler.jobs.common import Notice, post
    from storage.domain import Role

    handlers = tuple(Member(h, h, Role.HANDLER, department="d", rooms=("r",)) for h in ("h_a", "h_b"))
    roster = Roster("bot", "助企小助手", (), (Room("r", "群"),), handlers, (), (), ())
    async with uow() as u:
        await post(
            u, [Notice("r", "⏰ #1 请认领", ["h_a"]), Notice("r", "⏰ #2 请认领", ["h_b"])], AT, roster
        )
        await u.commit()
    async with uow() as u:
        await post(u, [Notice("r", "⏰ #3 请认领", ["h_a"])], AT, roster)
        await u.commit()
    async with uow() as u:
        (row,) = await u.outbox.claim_due(AT, limit=10)
        assert row.text.index("#1") < row.text.index("#2") < row.text.index("#3")
        assert row.mentions == ["h_a", "h_b"]


async def test_a_waiting_digest_is_replaced_by_the_fresher_one(uow: UnitOfWorkFactory) -> None:
    async with uow() as u:
        u.outbox.add(text="日报 周一", room_id="r", to_id=None, mentions=(), at=AT, priority=Priority.DIGEST,
                     topic="daily")  # fmt: skip
        await u.commit()
    async with uow() as u:
        assert await u.outbox.replace("daily", AT, room_id="r", to_id=None) == 1
        u.outbox.add(text="日报 周二", room_id="r", to_id=None, mentions=(), at=AT, priority=Priority.DIGEST,
                     topic="daily")  # fmt: skip
        await u.commit()
    assert await _next(uow, 10) == ["日报 周二"]


async def test_digests_and_broadcasts_left_a_day_are_given_up_answers_never(uow: UnitOfWorkFactory) -> None:
    from datetime import timedelta

    await _queue(uow, [("a", Priority.ANSWER), ("b", Priority.BROADCAST), ("c", Priority.REMINDER)])
    later = AT + timedelta(hours=13)
    async with uow() as u:
        assert await u.outbox.expire(later - timedelta(hours=12), Priority.DIGEST, later) == 1
        await u.commit()
    async with uow() as u:
        assert [r.text for r in await u.outbox.claim_due(later, limit=10)] == ["a-0", "c-2"]


async def test_a_note_to_the_coordinator_still_waiting_is_replaced_by_the_fresher(
    uow: UnitOfWorkFactory,
) -> None:
    """Each appeal joining a 共性问题 group tells 营商办 privately; while the account's budget holds
    those notes, a newer one (the group's latest count) replaces the waiting one: one per person."""
    from handlers.messages import OutgoingMessage

    def note(n: int) -> OutgoingMessage:
        return OutgoingMessage(text=f"#{n} 并入共性问题，共 {n} 件", to_id="co_yang", topic="common:1")

    for n in (3, 4, 5):
        async with uow() as u:
            await u.outbox.write_replies([(note(n), AT)])
            await u.commit()
    async with uow() as u:
        await u.outbox.write_replies([(OutgoingMessage(text="已受理 #6", room_id="r"), AT)])  # no topic: kept
        await u.commit()
    assert sorted(await _next(uow, 10)) == sorted(["#5 并入共性问题，共 5 件", "已受理 #6"])
