"""「周五17:00前」「12月5日」「明天上午9点」: a deadline written the way people write it in a group.

``find_deadline(text, now)`` returns the moment and the words it was read from, or None. A day
without a time means the end of that working day (17:30); a weekday means the next one of that
name (today's, if its time is still ahead); 「下周五」 the one in the week after this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from handlers.clock import TZ

END_OF_DAY = time(17, 30)
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_DAY = (
    r"(?P<iso>(?P<y>20\d\d)[-/.](?P<m1>\d{1,2})[-/.](?P<d1>\d{1,2}))"
    r"|(?P<md>(?:(?P<y2>20\d\d)年)?(?P<m2>\d{1,2})月(?P<d2>\d{1,2})[日号])"
    r"|(?P<rel>今天|今日|今早|今晚|明天|明日|明早|明晚|后天)"
    r"|(?P<wk>(?:(?P<next>下周|下星期|下礼拜)|本周|这周|周|星期|礼拜)(?P<wd>[一二三四五六日天末]))"
    r"|(?P<dom>(?P<d3>\d{1,2})[日号](?![码楼线院门]))"
)
_TIME = (
    r"(?P<part>上午|早上|中午|下午|晚上)?\s*"
    r"(?:(?P<h>\d{1,2})[:：](?P<mi>\d{2})|(?P<h2>\d{1,2})[点时](?:(?P<mi2>\d{1,2})分?|(?P<half>半))?)"
)
_WHEN = re.compile(rf"(?:{_DAY})\s*(?:{_TIME})?")
_TIME_ONLY = re.compile(rf"(?:今晚|今天)?{_TIME}")
_CN_DIGITS = str.maketrans("０１２３４５６７８９：", "0123456789:")


@dataclass(frozen=True)
class Found:
    moment: datetime
    words: str  # as written, e.g. 「周五17:00」


def find_deadline(text: str, now: datetime) -> Found | None:
    """The first day-and-time in ``text`` that lies ahead of ``now``."""
    plain = text.translate(_CN_DIGITS)
    local = now.astimezone(TZ)
    for m in _WHEN.finditer(plain):
        day = _day(m, local)
        try:
            clock = _clock(m)
        except ValueError:
            continue  # 25:00
        if day is None:
            continue
        moment = datetime.combine(day, clock or END_OF_DAY, tzinfo=TZ)
        if m.group("wk") and not m.group("next") and moment <= local:
            moment += timedelta(days=7)  # 「周一」 said on a Monday afternoon: next Monday
        if moment > local:
            return Found(moment, m.group(0).strip())
    return _today_at(plain, local)


def _today_at(plain: str, local: datetime) -> Found | None:
    """「18:00前」「下午5点」 alone: today at that time, while it is still ahead."""
    for m in _TIME_ONLY.finditer(plain):
        try:
            clock = _clock(m)
        except ValueError:
            continue
        if clock is not None:
            moment = datetime.combine(local.date(), clock, tzinfo=TZ)
            if moment > local:
                return Found(moment, m.group(0).strip())
    return None


def _day(m: re.Match[str], now: datetime) -> date | None:
    try:
        if m.group("iso"):
            return date(int(m.group("y")), int(m.group("m1")), int(m.group("d1")))
        if m.group("md"):
            year = int(m.group("y2") or now.year)
            day = date(year, int(m.group("m2")), int(m.group("d2")))
            return day if m.group("y2") or day >= now.date() else date(year + 1, day.month, day.day)
        if m.group("dom"):
            return _day_of_month(int(m.group("d3")), now.date())
    except ValueError:
        return None  # 2月30日
    if m.group("rel"):
        return now.date() + timedelta(days={"今": 0, "明": 1, "后": 2}[m.group("rel")[0]])
    wanted = _WEEKDAYS[m.group("wd")]
    monday = now.date() - timedelta(days=now.weekday())
    return monday + timedelta(days=wanted + (7 if m.group("next") else 0))


def _day_of_month(d: int, today: date) -> date | None:
    """「5号」: this month's 5th, or next month's once it has passed."""
    year, month = today.year, today.month
    if d < today.day:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, d)


def _clock(m: re.Match[str]) -> time | None:
    """The time of day, None when none was written; ValueError when it is not a time (25:00)."""
    hour_text = m.group("h") or m.group("h2")
    if hour_text is None:
        return None
    hour = int(hour_text)
    minute = 30 if m.group("half") else int(m.group("mi") or m.group("mi2") or 0)
    evening = m.group("part") in ("下午", "晚上") or (m.groupdict().get("rel") or "").endswith("晚")
    if evening and hour < 12:
        hour += 12
    if m.group("part") == "中午" and hour < 6:
        hour += 12
    return time(hour, minute)  # ValueError for 25:00
