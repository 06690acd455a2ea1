"""``zhuqi`` command line: ``zhuqi run`` starts the bot; ``zhuqi classify …`` trains and evaluates."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.web_runner import GracefulExit
from sqlalchemy.engine import make_url

from bot.classify_cli import add_classify_parser
from bot.config import Config, ConfigError, load_config
from handlers.intake.classifier import ModelFileError
from storage.db import DatabaseUnavailable

log = logging.getLogger("zhuqi")
T = TypeVar("T")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhuqi", description="助企群助手 (zhuqi)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot (simulator + SQLite by default)")
    run.add_argument(
        "--config", type=Path, help="config file (default: $ZHUQI_CONFIG, config.toml, the example)"
    )
    run.add_argument("--port", type=int, help="web port (default: $ZHUQI_PORT or 8080)")
    check = sub.add_parser("check-config", help="validate a config file and exit")
    check.add_argument("--config", type=Path)
    reset = sub.add_parser("reset-demo", help="start the simulator demo afresh (deletes its SQLite file)")
    reset.add_argument("--config", type=Path)
    user = sub.add_parser("user", help="workbench accounts")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    password = user_commands.add_parser(
        "set-password", help="set a member's password (read from standard input)"
    )
    password.add_argument("member_id")
    password.add_argument("--config", type=Path)
    password.add_argument(
        "--link", action="store_true", help="print a one-time sign-in link instead (valid 24 h)"
    )
    roster = sub.add_parser("roster", help="花名册 (roster) import")
    roster_commands = roster.add_subparsers(dest="roster_command", required=True)
    importing = roster_commands.add_parser("import", help="import members from an .xlsx or .csv 花名册")
    importing.add_argument("file", type=Path)
    importing.add_argument("--config", type=Path)
    migration = sub.add_parser(
        "new-migration", help="write the next migration from the models (autogenerate)"
    )
    migration.add_argument("name", help="what it changes, in snake_case, e.g. add_units")
    migration.set_defaults(handler=_new_migration)
    add_classify_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("ZHUQI_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.command in ("run", "check-config", "reset-demo", "user", "roster"):
        try:
            config = load_config(args.config)
        except ConfigError as exc:
            print(f"配置错误 / config error: {exc}", file=sys.stderr)
            return 2
        if args.command == "check-config":
            print(f"{config.source}: OK")
            return 0
        if args.command == "reset-demo":
            return reset_demo(config)
        if args.command == "user":
            return _login_link(config, args.member_id) if args.link else _set_password(config, args.member_id)
        if args.command == "roster":
            return _import_roster(config, args.file)
        return _run(config, args.port)
    handler = getattr(args, "handler", None)
    return int(handler(args)) if handler else 2


def _new_migration(args: argparse.Namespace) -> int:
    import asyncio
    import re
    import tempfile

    from storage.db import new_migration

    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", args.name):
        print(
            f"name should be snake_case (a-z, 0-9, _), at most 41 characters: {args.name!r}", file=sys.stderr
        )
        return 2
    with tempfile.TemporaryDirectory() as workdir:
        path = asyncio.run(new_migration(args.name, Path(workdir)))
    print(f"wrote {path}: read it, adjust it, and run make test (the drift test compares it with the models)")
    return 0


def reset_demo(config: Config) -> int:
    """Delete the demo's SQLite file (and its WAL) so the next ``make run`` starts an empty group.
    Only the simulator on SQLite: a real group's ledger is never deleted by a command."""
    url = make_url(config.database_url)
    if config.gateway != "simulator" or url.get_backend_name() != "sqlite" or not url.database:
        print(
            "只能重置模拟器的 SQLite 演示库 / reset-demo only deletes the simulator's SQLite file",
            file=sys.stderr,
        )
        return 2
    files = [Path(url.database + suffix) for suffix in ("", "-wal", "-shm")]
    for path in files:
        path.unlink(missing_ok=True)
    print(f"演示数据已清空 / demo data deleted: {files[0]}")
    return 0


def _database_task(work: Coroutine[Any, Any, T], refused: str) -> tuple[int | None, T | None]:
    """Run one command's database work: (None, its result), or (exit status, None) having said why."""
    import asyncio

    try:
        return None, asyncio.run(work)
    except ValueError as exc:
        print(f"{refused}: {exc}", file=sys.stderr)
        return 2, None
    except DatabaseUnavailable as exc:
        print(f"数据库不可用 / database unavailable: {exc}", file=sys.stderr)
        return 3, None


def _login_link(config: Config, member_id: str) -> int:
    from bot.accounts import login_link

    status, link = _database_task(login_link(config, member_id), "未生成 / not made")
    if status is None:
        print(f"一次性登录链接（24 小时内有效，只能用一次）/ one-time sign-in link:\n{link}")
    return status or 0


def _set_password(config: Config, member_id: str) -> int:
    """The password from standard input (a prompt when it is a terminal), never from the command line."""
    import getpass

    from bot.accounts import set_password

    password = (
        getpass.getpass("密码 / password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    )
    status, _ = _database_task(set_password(config, member_id, password), "未设置 / not set")
    if status is None:
        print(f"已设置 {member_id} 的工作台密码 / password set")
    return status or 0


def _import_roster(config: Config, path: Path) -> int:
    """Every row is checked; one wrong row and nothing is imported (each problem printed with its row)."""
    from bot.roster_file import import_file

    if not path.is_file():
        print(f"找不到文件 / no such file: {path}", file=sys.stderr)
        return 2
    status, result = _database_task(import_file(config, path, "cli"), "未导入 / not imported")
    if status is not None or result is None:
        return status or 2
    count, problems = result
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"未导入：{len(problems)} 处问题 / nothing imported", file=sys.stderr)
        return 2
    print(f"已导入 {count} 名成员，运行中的小助手一分钟内生效 / imported {count} members")
    return 0


def _run(config: Config, port: int | None) -> int:
    from bot.app import create_app
    from bot.web import keys

    if port is not None:
        config = replace(config, web=replace(config.web, port=port))
    web_config = config.web
    url = f"http://{web_config.host}:{web_config.port}/"
    banner = [f"助企群助手已启动 / zhuqi is running: {url}", f"  config: {config.source}"]
    if config.gateway == "simulator":
        # The token in the fragment lets the page show private chats; a fragment never leaves the browser.
        banner.append(f"  群聊模拟器 / simulator: {url}sim/#token={web_config.admin_token}")
        banner.append(f"  工作台 / workbench: {url}app/")
    if web_config.token_generated:
        banner.append(f"  API token (ZHUQI_ADMIN_TOKEN not set, generated): {web_config.admin_token}")
    if web_config.session_key_generated:
        banner.append(
            "  注意：未设置 ZHUQI_SESSION_KEY，重启后工作台需重新登录"
            " / ZHUQI_SESSION_KEY not set: every restart signs everyone out of the workbench"
        )
    try:
        app = create_app(config)
        app.on_startup.append(_freeze_startup_heap)
        app.on_startup.append(_stop_once_on_sigterm)
        web.run_app(
            app,
            host=web_config.host,
            port=web_config.port,
            print=lambda _: print("\n".join(banner + app.get(keys.DEMO_LOGINS, [])), flush=True),
            handle_signals=False,  # _stop_once_on_sigterm handles them, once
        )
    except DatabaseUnavailable as exc:
        print(f"数据库不可用 / database unavailable: {exc}", file=sys.stderr)
        return 3
    except ModelFileError as exc:
        print(f"分类模型不可用 / classifier model unusable: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. the port is taken
        print(f"无法启动网页服务 / cannot serve on {url}: {exc.strerror or exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())


async def _freeze_startup_heap(_app: web.Application) -> None:
    """Once everything is loaded (classifier, roster, SQLAlchemy's metadata …), move it out of the
    garbage collector's sight: a full collection then walks only what the service creates while
    running, a pause of a few milliseconds instead of ~100 (which every waiting sender felt)."""
    gc.collect()
    gc.freeze()
    logging.getLogger(__name__).info("startup heap frozen: %d objects", gc.get_freeze_count())


async def _stop_once_on_sigterm(_app: web.Application) -> None:
    """The first SIGTERM (or Ctrl+C) stops the bot; SIGTERMs that follow are ignored. A supervisor,
    ``docker stop`` or systemd signals the whole process group, so under ``make run`` the bot hears
    it twice (once more from make, which passes it on): the second used to break the clean stop
    and exit 1, and make reported the recipe as failed."""
    loop, stopping = asyncio.get_running_loop(), list[bool]()

    def stop() -> None:
        # Two signals that arrive together are both queued as calls of this handler before the
        # first one runs, so the second comes while the app cleans up: it must do nothing.
        if stopping:
            return
        stopping.append(True)
        loop.remove_signal_handler(signal.SIGTERM)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # and any later one, to the end of the process
        raise GracefulExit()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop)
