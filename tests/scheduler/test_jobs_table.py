"""The scheduler's one table of jobs: each says when it next falls due, or why it has no moment."""

from __future__ import annotations

import pytest

from scheduler.runner import JOBS, Job


def test_every_job_has_its_next_moment_or_says_why_not() -> None:
    for job in JOBS:
        assert job.next_due is not None or job.every_tick, job.name
    assert len({job.name for job in JOBS}) == len(JOBS)


def test_a_job_without_either_is_refused() -> None:
    async def nothing(deps: object, now: object) -> None:
        return None

    with pytest.raises(ValueError, match="give next_due"):
        Job("mystery", nothing, None)
