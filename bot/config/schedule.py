"""``[schedule]`` and ``[[events]]``: the working-day clock, reminders, reports and recurring events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time, timedelta
from typing import Any

import isodate

from bot.config.reader import Reader, Table
from scheduler.events_config import Event
from scheduler.settings import DEFAULT_LADDER, DESTINATIONS, LADDER_ROLES, POLICY_PUSH, Rung, ScheduleSettings


def parse_schedule(
    sections: Mapping[str, Any], member_ids: frozenset[str] | None = None, r: Reader | None = None
) -> ScheduleSettings:
    """Build the settings; ``member_ids`` (the roster) lets ladder entries name people."""
    r = r or Reader()
    t, d, p = r.table(sections, "schedule"), ScheduleSettings(), "schedule."
    pt, pp = r.table(sections, "policies"), "policies."
    return ScheduleSettings(
        policy_push=r.one_of(pt, "push", pp, POLICY_PUSH, d.policy_push),
        policy_per_day=r.get(pt, "per_day", pp, int, d.policy_per_day, low=1, high=20),
        policy_time=r.time(pt, "push_time", pp, d.policy_time),
        policy_remind_days=r.get(pt, "remind_days", pp, int, d.policy_remind_days, low=0, high=90),
        working_hours=r.spans(t, "working_hours", p, d.working_hours),
        quiet_hours=r.span(t, "quiet_hours", p, d.quiet_hours, wrap=True),
        extra_holidays=r.dates(t, "extra_holidays", p),
        extra_workdays=r.dates(t, "extra_workdays", p),
        tick_seconds=r.get(t, "tick_seconds", p, float, d.tick_seconds, low=1),
        warn_before_hours=r.get(t, "warn_before_hours", p, float, d.warn_before_hours, low=0),
        urgent_claim_minutes=r.get(t, "urgent_claim_minutes", p, float, d.urgent_claim_minutes, low=1),
        urgent_resolve_hours=r.get(t, "urgent_resolve_hours", p, float, d.urgent_resolve_hours, low=0.1),
        shorten_factor=r.get(t, "shorten_factor", p, float, d.shorten_factor, low=0.05, high=1),
        ladder=_ladder(r, t, member_ids),
        unrated_days=r.get(t, "unrated_days", p, float, d.unrated_days, low=0),
        unrated_grace_days=r.get(t, "unrated_grace_days", p, float, d.unrated_grace_days, low=0),
        revisit_days=r.get(t, "revisit_days", p, float, d.revisit_days, low=1),
        digest_time=r.time(t, "digest_time", p, d.digest_time),
        digest_to=r.one_of(t, "digest_to", p, DESTINATIONS, d.digest_to),
        ranking_weekday=r.get(t, "ranking_weekday", p, int, d.ranking_weekday, low=1, high=7),
        ranking_time=r.time(t, "ranking_time", p, d.ranking_time),
        ranking_to=r.one_of(t, "ranking_to", p, DESTINATIONS, d.ranking_to),
        monthly_day=r.get(t, "monthly_day", p, int, d.monthly_day, low=1, high=28),
        monthly_time=r.time(t, "monthly_time", p, d.monthly_time),
        monthly_to=r.one_of(t, "monthly_to", p, DESTINATIONS, d.monthly_to),
        events=tuple(_event(r, item, f"events[{i}].") for i, item in enumerate(r.tables(sections, "events"))),
    )


def _ladder(r: Reader, t: Table, member_ids: frozenset[str] | None) -> tuple[Rung, ...]:
    items = t.get("escalation")
    if items is None:
        return DEFAULT_LADDER
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise r.fail("schedule.escalation", "should be a non-empty array of tables ([[schedule.escalation]])")
    rungs = []
    for i, item in enumerate(items):
        path = f"schedule.escalation[{i}]."
        r.get(item, "notify", path, list)  # required
        notify = r.strings(item, "notify", path)
        for j, who in enumerate(notify):
            if who not in LADDER_ROLES and member_ids is not None and who not in member_ids:
                raise r.fail(
                    f"{path}notify[{j}]",
                    f"{who!r} is neither one of {', '.join(LADDER_ROLES)} nor a member id",
                )
        rungs.append(Rung(r.get(item, "after_days", path, float, low=0), tuple(notify)))
    if [x.after_days for x in rungs] != sorted(x.after_days for x in rungs):
        raise r.fail("schedule.escalation", "rungs should be in increasing after_days order")
    return tuple(rungs)


def _event(r: Reader, t: Table, p: str) -> Event:
    monthly = r.get(t, "monthly_day", p, int, None, low=1, high=31)
    weekday = r.get(t, "weekday", p, int, None, low=1, high=7)
    if (monthly is None) == (weekday is None):
        raise r.fail(f"{p}monthly_day", "give exactly one of monthly_day or weekday")
    notice_text = r.get(t, "notice", p, str, "P1D")
    try:
        notice = isodate.parse_duration(notice_text)
    except (isodate.ISO8601Error, ValueError):
        raise r.fail(
            f"{p}notice", f"should be an ISO 8601 duration like P1D or PT3H, got {notice_text!r}"
        ) from None
    if not isinstance(notice, timedelta) or notice <= timedelta(0):
        raise r.fail(f"{p}notice", f"should be a positive duration in days/hours, got {notice_text!r}")
    return Event(
        name=r.get(t, "name", p, str),
        at=r.time(t, "time", p, time(9, 0)),
        notice=notice,
        monthly_day=monthly,
        weekday=weekday,
        place=r.get(t, "place", p, str, ""),
        text=r.get(t, "text", p, str, ""),
        room_id=r.get(t, "room", p, str, None),
    )
