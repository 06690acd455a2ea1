"""A broken config file fails at start with one line: the file, the key, what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import EXAMPLE, ConfigError, load_config

BASE = EXAMPLE.read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_is_complete() -> None:
    config = load_config(EXAMPLE, env={})
    d = config.roster
    assert len(d.departments) >= 10 and len(d.enterprises) >= 8
    assert [c.name for c in d.categories] == ["融资信贷", "用地规划", "用工人才", "审批办证", "水电气暖", "税费",
                                              "涉法涉诉", "物流交通", "市场开拓", "政策咨询", "环保安全", "其他"]  # fmt: skip
    assert sum(m.role.value == "leader" for m in d.members) == 3  # 2 of the city's, 涪城区's head
    assert sum(m.role.value == "coordinator" for m in d.members) == 3  # the city's, 涪城区's, the park's
    assert [u.name for u in d.units] == ["绵阳市", "涪城区", "涪城高新园区"]
    for e in d.enterprises:
        assert 1 <= sum(m.enterprise == e.name for m in d.members) <= 2
    assert config.database_url == "sqlite+aiosqlite:///var/zhuqi.db" and config.web.port == 8080
    assert config.web.token_generated and len(config.web.admin_token) >= 20


def test_the_account_limits_are_read_and_shared_by_every_process() -> None:
    rate = load_config(EXAMPLE, env={}).rate
    assert rate.account is not None
    assert (rate.account.per_minute, rate.account.per_chat_per_second, rate.account.min_gap_seconds) == (
        40,
        1,
        0.5,
    )


def test_environment_overrides() -> None:
    env = {"DATABASE_URL": "postgresql://u@h/db", "ZHUQI_PORT": "9000", "ZHUQI_ADMIN_TOKEN": "s3cret"}
    config = load_config(EXAMPLE, env=env)
    assert (config.database_url, config.web.port, config.web.admin_token) == (
        "postgresql://u@h/db",
        9000,
        "s3cret",
    )
    assert not config.web.token_generated


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('handlers = ["h_jx_wang"]', 'handlers = ["h_nobody"]'), "departments[0].handlers[0]: unknown member 'h_nobody'"),
        (('role = "leader"', 'role = "boss"'), "members[0].role: should be one of coordinator, enterprise, handler, leader, got 'boss'"),
        (("claim_hours = 2", 'claim_hours = "two"'), "categories[4].claim_hours: should be a number, got 'two'"),
        (('department = "供电公司"\nclaim_hours', 'department = "电老虎"\nclaim_hours'), "categories[4].department: unknown department '电老虎'"),
        (('enterprise = "华科电子"', 'enterprise = "不存在公司"'), "members[19].enterprise: unknown enterprise '不存在公司'"),
        (("port = 8080", "port = 99999"), "web.port: should be 0–65535, got 99999"),
        (("confidence_threshold = 0.5 ", "confidence_threshold = 3 "), "intake.confidence_threshold: should be between 0 and 1"),
        (('gateway = "simulator"', 'gateway = "telegram"'), "bot.gateway: should be 'simulator' or 'wechaty', got 'telegram'"),
        (('name = "绵阳企业家"', ""), "rooms[0].name: is required"),
        (('digest_to = "leaders"', 'digest_to = "everyone"'), "schedule.digest_to: should be one of room, leaders, got 'everyone'"),
        (("per_account_per_minute = 40", "per_acount_per_minute = 40"), "sending.per_acount_per_minute: unknown key; known: per_room_per_minute, jitter_min_seconds, jitter_max_seconds, per_account_per_minute, per_chat_per_second, min_gap_seconds"),
        (("[web]", '[web]\ntrusted_proxies = ["my-proxy"]'), "web.trusted_proxies[0]: should be an IP address, got 'my-proxy'"),
        (('aliases = ["自然资源和规划局", "自规局",', 'aliases = ["自然资源和规划局", "发改委",'), "departments[2].aliases[1]: '发改委' already names departments[1] (市发展和改革委员会)"),
    ],
)  # fmt: skip
def test_broken_file_names_the_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in BASE
    path = write(tmp_path, BASE.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(info.value) == f"{path}: {message}"


def test_not_toml_and_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config.toml: not valid TOML"):
        load_config(write(tmp_path, "[bot\nname ="), env={})
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml", env={})
    with pytest.raises(ConfigError, match="ZHUQI_PORT: should be a port number"):
        load_config(EXAMPLE, env={"ZHUQI_PORT": "eighty"})


def test_cli_reports_one_line_and_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, BASE.replace('handlers = ["h_jx_wang"]', 'handlers = ["h_nobody"]', 1))
    assert main(["check-config", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "departments[0].handlers[0]: unknown member 'h_nobody'" in err
    assert main(["check-config", "--config", str(EXAMPLE)]) == 0


def test_run_with_a_database_that_is_gone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres:secret@127.0.0.1:1/gone")
    monkeypatch.setenv("ZHUQI_PORT", "0")
    monkeypatch.setenv("ZHUQI_CONFIG", str(EXAMPLE))
    monkeypatch.chdir(tmp_path)
    assert main(["run"]) == 3
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(
        "数据库不可用 / database unavailable: postgresql+asyncpg://postgres:***@127.0.0.1:1/gone:"
    )
    assert "secret" not in err


def test_reset_demo_deletes_only_the_simulators_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    db = tmp_path / "zhuqi.db"
    db.write_bytes(b"x")
    (tmp_path / "zhuqi.db-wal").write_bytes(b"x")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    monkeypatch.delenv("ZHUQI_GATEWAY", raising=False)
    assert main(["reset-demo"]) == 0
    assert not db.exists() and not (tmp_path / "zhuqi.db-wal").exists()
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/zhuqi")
    assert main(["reset-demo"]) == 2  # a real ledger is never deleted by a command
