"""A generated city (tests/support/city.py) loads as a config, and the policy push at its scale
@s only people who are in each group, at most ``per_day`` messages a group."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from bot.config import load_config
from handlers.clock import TZ, ForwardClock
from handlers.context import Services
from scheduler.deps import Deps
from scheduler.jobs.policies import push_policies
from storage.models import OutboxMessage
from storage.uow import UnitOfWorkFactory
from tests.support.city import city_config
from tests.support.keyword_classifier import KeywordClassifier

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)


def test_the_generated_city_is_a_valid_config(tmp_path: Path) -> None:
    path = tmp_path / "city.toml"
    path.write_text(city_config(groups=50, enterprises=5000), encoding="utf-8")
    roster = load_config(path, env={}).roster
    assert (len(roster.rooms), len(roster.enterprises)) == (50, 5000)
    assert len([m for m in roster.members if m.role.value == "handler"]) >= 400
    assert city_config(groups=50, enterprises=5000) == path.read_text(
        encoding="utf-8"
    )  # seeded: the same city


async def test_the_push_at_a_citys_scale_ats_only_people_in_each_group(
    tmp_path: Path, uow: UnitOfWorkFactory
) -> None:
    path = tmp_path / "city.toml"
    path.write_text(city_config(groups=6, enterprises=600), encoding="utf-8")
    config = load_config(path, env={})
    roster, schedule = config.roster, replace(config.schedule, policy_push="group")
    services = Services(roster=roster, classifier=KeywordClassifier(roster), policies=config.policies)
    deps = Deps.build(uow, services, ForwardClock(MONDAY_10), schedule)
    sent = await push_policies(deps, MONDAY_10)
    async with uow() as u:
        rows = (await u.session.execute(select(OutboxMessage.room_id, OutboxMessage.mentions))).all()
    assert sent == len(rows) == 6 * schedule.policy_per_day
    for room_id, mentions in rows:
        inside = {m.id for m in roster.members_in(room_id)}
        assert mentions and set(mentions) <= inside
