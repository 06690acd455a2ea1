"""``zhuqi roster import``: a CSV 花名册 (UTF-8 or the GBK Excel saves) into the database, every row
checked, and a running bot picks it up on its next scheduler tick."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import create_app
from bot.cli import main
from bot.config import Config
from bot.web import keys
from scheduler.runner import run_all

ROWS = "编号,姓名,角色,部门,企业,别名\nh_cli,导入科长,部门,人社局,,\ne_cli,导入老板,企业,,绵阳导入科技有限公司,导入\n"


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    return tmp_path


def test_a_bad_file_imports_nothing_and_says_which_rows(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cwd / "roster.csv").write_text("编号,姓名,角色\n,无编号,企业\nx y,有空格,领导\n", encoding="utf-8")
    assert main(["roster", "import", str(cwd / "roster.csv")]) == 2
    err = capsys.readouterr().err
    assert "第2行：编号为空" in err and "第3行：编号不能含空格" in err and "未导入：2 处问题" in err
    assert main(["roster", "import", str(cwd / "none.csv")]) == 2


async def test_an_import_reaches_the_running_bot_on_its_next_tick(
    cwd: Path, example_config: Config, sqlite_url: str, aiohttp_client: object
) -> None:
    app = create_app(replace(example_config, database_url=sqlite_url))
    client = await aiohttp_client(app)  # type: ignore[operator]
    assert client.app[keys.CONFIG].roster.member("e_cli") is None
    told: list[object] = []  # what the Wechaty gateway is told (its contact mapping follows the roster)
    client.app[keys.ROSTER].listeners.append(lambda roster: told.append(roster.member("e_cli")))
    (cwd / "roster.csv").write_bytes(ROWS.encode("gb18030"))  # as Excel on Chinese Windows saves it
    import asyncio

    assert await asyncio.to_thread(main, ["roster", "import", str(cwd / "roster.csv")]) == 0
    deps = client.app[keys.DEPS]
    await run_all(deps, deps.clock.now())
    roster = client.app[keys.CONFIG].roster
    member = roster.member("e_cli")
    assert member is not None and member.enterprise == "绵阳导入科技有限公司" and member.aliases == ("导入",)
    assert "h_cli" in roster.handlers_of("市人力资源和社会保障局")
    assert told == [member]


def test_set_password_and_a_one_time_link(
    cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert main(["user", "set-password", "co_yang"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "set-password", "co_yang"]) == 2  # too short: refused
    assert main(["user", "set-password", "nobody", "--link"]) == 2
    assert main(["user", "set-password", "co_yang", "--link"]) == 0
    out = capsys.readouterr().out
    assert "已设置 co_yang 的工作台密码" in out and "/app/login/link/" in out
