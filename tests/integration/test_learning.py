"""The classifier learns from 归类, 转办 and 驳回 at once and after a restart; the ledger exports."""

from __future__ import annotations

import argparse
import asyncio
import csv
from dataclasses import replace
from pathlib import Path

import pytest

from bot.classify_cli import add_classify_parser, run_classify
from handlers.context import Services
from handlers.intake.classifier import TextClassifier
from handlers.intake.learning import replay_corrections
from storage.uow import UnitOfWorkFactory
from tests.support.chat import EXAMPLE, Chat, FreshClassifier

BOSS, OTHER_BOSS, COORD = "e_huake_liu", "e_fucheng_jiang", "co_yang"
ZR, SW = "h_zr_zhao", "h_sw_wu"  # 自规局, 税务局
LAND_TAX = "土地使用税按整块地收，可一半地还没交付"  # the seed model reads 用地规划; it is a tax
CHATTER = "下周的参观学习我们公司想多去两个人"


async def test_transfer_to_another_categorys_department_recategorizes(
    chat: Chat, uow: UnitOfWorkFactory, services: Services
) -> None:
    assert services.classifier.classify(LAND_TAX).category == "用地规划"
    await chat.say(f"诉求 {LAND_TAX}", by=BOSS)
    assert chat.last[0].text.startswith("已受理 #1【用地规划】")
    await chat.say("认领 1", by=ZR)
    await chat.say("转办 1 税务局", by=ZR)
    reply = chat.one_reply()
    assert reply.startswith("#1 已由市自然资源和规划局转至国家税务总局绵阳市税务局 @税务局吴科长，")
    assert "类别由「用地规划」改为「税费」" in reply and "「认领 1」" in reply
    async with uow() as u:
        issue = await u.tickets.by_no(1, with_events=True)
        assert issue is not None
        assert (issue.category, issue.original_category, issue.status) == ("税费", "用地规划", "open")
        assert issue.events[-1].data["from_category"] == "用地规划"
    assert services.classifier.classify(LAND_TAX).category == "税费"  # learned without a restart
    await chat.say("转办 1 金融局", by=SW)  # 融资信贷's department, but the tax office keeps the label
    async with uow() as u:
        issue = await u.tickets.by_no(1)
        assert issue is not None and issue.category == "融资信贷"


async def test_transfer_within_the_category_keeps_it(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say("诉求 园区这周第三次停电了，生产线停了半天，损失很大", by=BOSS)
    await chat.say("转办 1 应急局", by=COORD)  # no category has 应急局 as its department
    assert "类别" not in chat.one_reply()
    async with uow() as u:
        issue = await u.tickets.by_no(1)
        assert issue is not None and issue.category == "水电气暖"


async def test_corrections_survive_a_restart(
    chat: Chat, uow: UnitOfWorkFactory, services: Services, session_model: TextClassifier
) -> None:
    services.settings = replace(services.settings, confidence_threshold=1.0)  # everything is a candidate
    assert services.classifier.classify(CHATTER).is_appeal
    await chat.say(CHATTER, by=OTHER_BOSS)
    await chat.say("驳回 1", by=COORD)
    assert not services.classifier.classify(CHATTER).is_appeal  # 驳回 of a candidate: 非诉求
    await chat.say(f"诉求 {LAND_TAX}", by=BOSS)
    await chat.say("归类 2 税费", by=COORD)
    assert services.classifier.classify(LAND_TAX).category == "税费"

    fresh = FreshClassifier(session_model, services.roster)  # a restart: the model file as trained
    assert fresh.classify(LAND_TAX).category == "用地规划" and fresh.classify(CHATTER).is_appeal
    assert await replay_corrections(uow, fresh) == 2
    assert fresh.classify(LAND_TAX).category == "税费"
    assert not fresh.classify(CHATTER).is_appeal


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="zhuqi")
    add_classify_parser(parser.add_subparsers(dest="command", required=True))
    return run_classify(parser.parse_args(argv))


async def test_export_writes_final_categories(
    chat: Chat, uow: UnitOfWorkFactory, services: Services, db_url: str,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    await chat.say(f"诉求 {LAND_TAX}", by=BOSS)  # 1, corrected to 税费
    await chat.say("归类 1 税费", by=COORD)
    await chat.say("园区这周第三次停电了，生产线停了半天，损失很大", by=OTHER_BOSS)  # 2, 水电气暖
    services.settings = replace(services.settings, confidence_threshold=1.0)
    await chat.say(CHATTER, by="e_anzhou_luo")  # 3, a candidate, dismissed
    await chat.say("驳回 3", by=COORD)
    await chat.say("我们想问问关于贷款的事情", by="e_jiuzhou_lin")  # 4, still a candidate: left out
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("ZHUQI_CONFIG", str(EXAMPLE))
    out = tmp_path / "ledger.csv"
    assert await asyncio.to_thread(_cli, "classify", "export", "--out", str(out)) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["no"], r["label"], r["original_category"]) for r in rows] == [
        ("1", "税费", "用地规划"), ("2", "水电气暖", "水电气暖"), ("3", "非诉求", rows[2]["original_category"]),
    ]  # fmt: skip
    assert rows[0]["text"] == LAND_TAX
    model = tmp_path / "city.npz"  # the export trains as it is
    assert await asyncio.to_thread(_cli, "classify", "train", "--data", str(out), "--out", str(model)) == 0


FORMULA = "=cmd|' /C calc'!A0 园区停电三天了，生产线全停，请供电公司尽快处理"


async def test_an_exported_ledger_runs_no_formula_and_trains_on_the_text(
    chat: Chat, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers.intake.classifier.evaluation import read_rows

    await chat.say(f"诉求 {FORMULA}", by=BOSS)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("ZHUQI_CONFIG", str(EXAMPLE))
    out = tmp_path / "ledger.csv"
    assert await asyncio.to_thread(_cli, "classify", "export", "--out", str(out)) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["text"] == "'" + FORMULA  # a spreadsheet shows it as text, never runs it
    assert read_rows(out)[0][0] == FORMULA  # training reads the message as it was
