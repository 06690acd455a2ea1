"""``zhuqi run`` moves what startup loaded out of the garbage collector's full passes."""

from __future__ import annotations

import gc
import weakref

from aiohttp import web

from bot.cli import _freeze_startup_heap


class Cycle:
    def __init__(self) -> None:
        self.me = self


async def test_startup_garbage_is_collected_and_the_rest_frozen() -> None:
    collected: list[bool] = []
    garbage = Cycle()  # only the collector frees a cycle
    ref = weakref.ref(garbage, lambda _: collected.append(True))
    del garbage
    gc.unfreeze()
    try:
        await _freeze_startup_heap(web.Application())
        assert ref() is None and collected == [True]  # collected first, not frozen for ever
        assert gc.get_freeze_count() > 1000  # the modules, classes and data startup loaded
    finally:
        gc.unfreeze()
