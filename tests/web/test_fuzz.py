"""Property-based fuzzing of every HTTP endpoint: never a 5xx, every error is JSON with a Chinese
``error``, and a refused request changes nothing (chat log, inbox, tickets, the simulator's clock).

``ZHUQI_FUZZ_EXAMPLES`` sets the examples per endpoint (default 1,200: about 10,800 requests in all).
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import create_app
from bot.config import Config
from bot.web import keys
from storage.models import ChatLog, InboxMessage, Issue
from tests.support.chat import ROOM

pytestmark = pytest.mark.slow
Client = TestClient[Any, web.Application]
MakeClient = Callable[..., Awaitable[Client]]
EXAMPLES = int(os.environ.get("ZHUQI_FUZZ_EXAMPLES", "1200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
TOKEN = "fuzz-token"

# Text that breaks naive code: lone surrogates, NUL, RTL marks, emoji, full-width and other digits.
nasty = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=40),
    st.sampled_from(
        ["\ud800", "a\x00b", "²", "١٢", "９９", "-1", "99999999999999999999", "", " ", "#1", "认领 1"]
    ),
    st.text(alphabet="0123456789", min_size=1, max_size=25),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | nasty,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(nasty, children, max_size=4),
    max_leaves=12,
)
known_rooms = st.sampled_from([ROOM, "dm:co_yang", "dm:nobody", "no-such-room", ""])
known_people = st.sampled_from(["e_huake_liu", "h_gd_shi", "ld_chen", "co_yang", "nobody"])


@pytest.fixture
async def client(aiohttp_client: MakeClient, example_config: Config, sqlite_url: str) -> Client:
    config = replace(
        example_config, database_url=sqlite_url, web=replace(example_config.web, admin_token=TOKEN)
    )
    return await aiohttp_client(create_app(config))


async def state(client: Client) -> tuple[int, int, int, datetime]:
    async with client.app[keys.UOW]() as uow:
        counts = [
            int((await uow.session.execute(select(func.count()).select_from(t))).scalar_one())
            for t in (ChatLog, InboxMessage, Issue)
        ]
    return counts[0], counts[1], counts[2], client.app[keys.TRAVEL_CLOCK].now()


async def check(client: Client, response: Any, before: tuple[int, int, int, datetime]) -> None:
    body = await response.read()
    assert response.status < 500, body[:300]
    if response.status >= 400:
        data = json.loads(body)
        assert isinstance(data.get("error"), str) and data["error"], data
        assert (await state(client))[:3] == before[:3], "a refused request changed something"


@FUZZ
@given(
    body=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"room_id": known_rooms, "sender_id": known_people, "text": nasty},
            optional={"client_msg_id": nasty, "extra": json_values},
        ),
    ),
    content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
    origin=st.sampled_from([None, "http://evil.example", "null"]),
)
async def test_posting_messages(client: Client, body: Any, content_type: str, origin: str | None) -> None:
    before = await state(client)
    headers = {"Content-Type": content_type, **({"Origin": origin} if origin else {})}
    response = await client.post("/sim/api/messages", data=json.dumps(body), headers=headers)
    await check(client, response, before)
    if origin or content_type != "application/json":
        assert response.status in (403, 415)


@FUZZ
@given(raw=st.binary(max_size=300), deep=st.integers(min_value=0, max_value=5000))
async def test_broken_bodies(client: Client, raw: bytes, deep: int) -> None:
    before = await state(client)
    for data in (raw, b"[" * deep + b"]" * deep):
        response = await client.post(
            "/sim/api/messages", data=data, headers={"Content-Type": "application/json"}
        )
        await check(client, response, before)


@FUZZ
@given(room=st.one_of(known_rooms, nasty), after=nasty, token=st.sampled_from([None, TOKEN, "wrong", "令牌"]))
async def test_reading_messages(client: Client, room: str, after: str, token: str | None) -> None:
    before = await state(client)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for path in ("/sim/api/messages", "/sim/api/members"):
        response = await client.get(path, params={"room_id": room, "after": after}, headers=headers)
        await check(client, response, before)
        if room.startswith("dm:co_yang") and token != TOKEN and path.endswith("messages"):
            assert response.status == 401  # private chats only with the admin token


@FUZZ
@given(
    params=st.dictionaries(st.sampled_from(["status", "limit", "offset", "category", "department"]), nasty),
    no=nasty,
    token=st.sampled_from([TOKEN, "wrong", "令牌", ""]),
)
async def test_ticket_api(client: Client, params: dict[str, str], no: str, token: str) -> None:
    before = await state(client)
    headers = {"Authorization": f"Bearer {token}"}
    listed = await client.get("/api/issues", params=params, headers=headers)
    await check(client, listed, before)
    if listed.status == 200:
        assert len((await listed.json())["issues"]) <= 1000
    one = await client.get(f"/api/issues/{no.replace('/', '')[:40] or '0'}", headers=headers)
    await check(client, one, before)


@FUZZ
@given(
    body=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"advance": st.one_of(nasty, st.sampled_from(["P99999999D", "PT1M", "P1Y", "-P1D"]))}
        ),
        st.fixed_dictionaries(
            {"now": st.one_of(nasty, st.sampled_from(["9999-12-31T23:59:59", "2000-01-01"]))}
        ),
    )
)
async def test_time_travel(client: Client, body: Any) -> None:
    before = await state(client)
    response = await client.post(
        "/sim/api/clock", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    await check(client, response, before)
    if response.status >= 400:
        # The clock did not jump: only the wall time that passed meanwhile (the simulator's clock
        # runs on from where travel left it), never the requested move.
        assert (await state(client))[3] - before[3] < timedelta(minutes=1)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    path=st.one_of(
        st.sampled_from(
            [
                "/",
                "/healthz",
                "/sim/",
                "/sim/api/rooms",
                "/api/issues",
                "/sim/api/clock",
                "/sim/api/accounts",
                "/sim/api/accounts/default",
                "/nope",
            ]
        ),
        st.text(alphabet="abc/%.-_0123456789", max_size=30).map(lambda p: "/" + p.lstrip("/")),
    ),
)
async def test_any_path_and_method(client: Client, method: str, path: str) -> None:
    before = await state(client)
    response = await client.request(method, path, allow_redirects=False)
    await check(client, response, before)


# --- the workbench: a signed-in 营商办 sends anything; pages answer, never 5xx, and change nothing ----

WORKBENCH_PAGES = ["/app/", "/app/issues", "/app/queue", "/app/issues.xlsx", "/app/reports/monthly.xlsx",
                   "/app/charts.json", "/public/", "/app/notices", "/app/policies"]  # fmt: skip
query_keys = st.sampled_from(["status", "category", "department", "enterprise", "since", "until", "overdue",
                              "common", "q", "before", "month", "sort", "limit", "next", "unit"])  # fmt: skip
# Values a query string or form field is likely to break on: dates past the calendar, months that
# do not exist, numbers too large, and the nasty text of every other test.
edgy = st.one_of(nasty, st.sampled_from(["9999-12-31", "0001-01-01", "9999-12", "2026-13", "2026-00",
                                          "1e9", "-0", "2026-02-30", "//evil.example/", "/app/../x"]))  # fmt: skip


@pytest.fixture
async def signed_client(client: Client) -> Client:
    """The client, signed in to the workbench as 营商办 (once for all examples)."""
    import re
    from datetime import UTC, datetime

    from bot.web.workbench.auth import hash_password

    async with client.app[keys.UOW]() as uow:
        await uow.accounts.set_password_hash("co_yang", hash_password("fuzz password"), datetime.now(UTC))
        await uow.commit()
    page = await (await client.get("/app/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    form = {"member_id": "co_yang", "password": "fuzz password", "csrf": token.group(1)}
    assert (await client.post("/app/login", data=form, allow_redirects=False)).status == 302
    return client


def _sendable(text: str) -> str:
    """What an HTTP client can send (a lone surrogate cannot be encoded at all)."""
    return text.encode("utf-8", "replace").decode()


@FUZZ
@given(
    path=st.sampled_from(WORKBENCH_PAGES),
    params=st.dictionaries(query_keys, edgy, max_size=4),
    no=nasty,
    form=st.dictionaries(
        st.sampled_from(["csrf", "verb", "text", "department", "category"]), nasty, max_size=5
    ),
)
async def test_workbench_pages(
    signed_client: Client, path: str, params: dict[str, str], no: str, form: dict[str, str]
) -> None:
    client = signed_client
    before = await state(client)
    safe = {k: _sendable(v) for k, v in params.items()}
    response = await client.get(path, params=safe, allow_redirects=False)
    assert response.status < 500, (path, safe, (await response.read())[:300])
    number = _sendable(no.replace("/", ""))[:40] or "0"
    for numbered in (f"/app/issues/{number}", f"/app/notices/{number}", f"/app/notices/{number}.xlsx"):
        page = await client.get(numbered, allow_redirects=False)
        assert page.status < 500, (numbered, (await page.read())[:300])
    data = {k: _sendable(v) for k, v in form.items()}
    acted = await client.post(f"/app/issues/{number}/act", data=data, allow_redirects=False)
    assert acted.status < 500
    assert (await state(client))[:3] == before[:3]  # no valid token: nothing acted


WORKBENCH_FORMS = ["/app/login", "/app/logout", "/app/assign", "/app/account", "/app/roster",
                   "/app/login/link/{token}"]  # fmt: skip
form_keys = st.sampled_from(["csrf", "member_id", "password", "again", "next", "task", "department", "file"])


@FUZZ
@given(
    path=st.sampled_from(WORKBENCH_FORMS),
    form=st.dictionaries(form_keys, edgy, max_size=5),
    token=nasty,
    as_multipart=st.booleans(),
)
async def test_workbench_forms(
    signed_client: Client, path: str, form: dict[str, str], token: str, as_multipart: bool
) -> None:
    """Every form of the workbench, posted with anything (never a valid CSRF token): answered
    below 500, and nothing changes — no message, ticket or session, no password."""
    from aiohttp import FormData

    client = signed_client
    before = await state(client)
    url = path.replace("{token}", _sendable(token.replace("/", ""))[:60] or "x")
    data: Any = {k: _sendable(v) for k, v in form.items()}
    if as_multipart:
        multipart = FormData()
        for key, value in data.items():
            multipart.add_field(
                key, value.encode(), filename="f.csv"
            ) if key == "file" else multipart.add_field(key, value)
        data = multipart
    response = await client.post(url, data=data, allow_redirects=False)
    assert response.status < 500, (url, form, (await response.read())[:300])
    assert (await state(client))[:3] == before[:3]
    assert (await client.get("/app/issues", allow_redirects=False)).status == 200  # still signed in
