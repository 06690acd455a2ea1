"""政策 in the workbench: each policy of the library with how many enterprises were told of it,
asked about it and applied for it (政策找企业). For leaders, 营商办 and departments."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.web import keys
from bot.web.workbench.auth import page_context
from bot.web.workbench.notices_page import staff
from handlers.replies import policies as policy_texts
from storage.domain import PolicyUseKind


@aiohttp_jinja2.template("policies.html")
async def policies(request: web.Request) -> dict[str, Any]:
    member = await staff(request)
    library = request.app[keys.CONFIG].policies
    async with request.app[keys.UOW]() as uow:
        counts = await uow.policies.counts()
    rows = [
        {
            "id": p.id,
            "title": p.title,
            "fit": p.fit.label,
            "deadline": policy_texts.deadline(p.deadline),
            "department": p.department or "",
            **{k.value: counts.get((p.id, k.value), 0) for k in PolicyUseKind},
        }
        for p in (library.policies if library else ())
    ]
    return {**await page_context(request, member), "policies": rows}
