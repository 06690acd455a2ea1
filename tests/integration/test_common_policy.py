"""共性问题 (several enterprises, one problem: leaders told once) and 政策找企业 answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import EXAMPLE, ConfigError, load_config
from handlers.policy import DEFAULT_POLICY_FILE, load_policies
from storage.uow import UnitOfWorkFactory
from tests.support.chat import ROOM, Chat

LEADERS_AND_COORD = {"ld_chen", "ld_zhou", "co_yang"}
OUTAGES = [  # four enterprises, one problem, four ways of saying it
    ("e_huake_liu", "园区这周第三次停电了，生产线停了半天，损失很大"),
    ("e_fucheng_jiang", "我们厂这几天老是停电，生产线没法正常运转"),
    ("e_anzhou_luo", "高新区园区又停电了，一周停了三次，设备都受影响"),
    ("e_jiuzhou_lin", "园区又双叒停电了，生产线全部停下来了"),
]


async def groups(uow: UnitOfWorkFactory) -> dict[int, int | None]:
    async with uow() as u:
        return {i.no: i.common_group for i in await u.tickets.find()}


async def test_common_problem_is_announced_once(chat: Chat, uow: UnitOfWorkFactory) -> None:
    for by, text in OUTAGES[:2]:
        await chat.say(text, by=by)
        assert len(chat.last) == 1 and "已受理" in chat.last[0].text
    await chat.say("园区这周又停电了，已经第四次了", by="e_huake_xiao")  # same enterprise as #1: not a third
    assert len(chat.last) == 1
    await chat.say("天然气压力不够，锅炉烧不起来", by="e_fenggu_hu")  # same category, another problem
    assert len(chat.last) == 1
    await chat.say(*reversed(OUTAGES[2]))
    ack, common = chat.last
    assert "已受理 #5【水电气暖】" in ack.text
    assert common.room_id == ROOM and set(common.mentions) == LEADERS_AND_COORD
    assert common.text.startswith("【共性问题】近7天 3 家企业反映同类问题【水电气暖】：")
    assert "（#1 #2 #5）" in common.text and "@陈市长 @周副市长 @营商办杨主任" in common.text
    assert await groups(uow) == {1: 1, 2: 1, 3: None, 4: None, 5: 1}

    await chat.say(*reversed(OUTAGES[3]))  # a fourth joins quietly: no second announcement
    assert not any("共性问题" in m.text and m.room_id for m in chat.last)
    assert [m.to_id for m in chat.last if m.to_id] == ["co_yang"]
    assert chat.last[-1].text == "#6 与共性问题（#1 #2 #5 #6）相似，已并入该组。"
    assert (await groups(uow))[6] == 1
    async with uow() as u:
        issue = await u.tickets.by_no(6, with_events=True)
        assert issue is not None and [e.kind for e in issue.events] == ["create", "common"]


async def test_a_large_group_is_named_by_its_first_and_last_numbers(
    chat: Chat, uow: UnitOfWorkFactory
) -> None:
    for by, text in OUTAGES:
        await chat.say(text, by=by)
    for n in range(10):  # people not on the roster: each counts as its own enterprise
        await chat.say(f"园区又停电了，生产线全部停下来了，第{n + 2}次", by=f"wxid_outage_{n}")
    assert chat.last[-1].to_id == "co_yang"
    assert chat.last[-1].text == "#14 与共性问题（#1 #2 #3 #4 #5 #6 #7 … #14 等 14 件）相似，已并入该组。"
    assert set((await groups(uow)).values()) == {1}


async def test_old_tickets_do_not_count(chat: Chat, uow: UnitOfWorkFactory) -> None:
    from datetime import timedelta

    await chat.say(*reversed(OUTAGES[0]))
    chat.clock.set(chat.clock.now() + timedelta(days=8))
    for by, text in OUTAGES[1:3]:
        await chat.say(text, by=by)
        assert len(chat.last) == 1
    assert set((await groups(uow)).values()) == {None}


async def test_policy_question_is_answered_at_once(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say("请问稳岗返还怎么申请？", by="e_fenggu_hu")
    reply = chat.one_reply()
    assert reply.startswith("#1 为您找到相关政策：\n1. 失业保险稳岗返还：")
    assert "咨询：市人社局就业促进科" in reply and "「评价 1 满意」" in reply
    assert chat.last[0].mentions == ("e_fenggu_hu",) and "@丰谷纺织胡总" in reply
    async with uow() as u:
        issue = await u.tickets.by_no(1, with_events=True)
        assert issue is not None
        assert (issue.status, issue.outcome, issue.department) == ("resolved", "answered", None)
        assert [e.kind for e in issue.events] == ["create", "answer"]
    await chat.say("评价 1 不满意", by="e_fenggu_hu")  # not enough: the category's department takes over
    reply = chat.one_reply()
    assert "@人社局孙科长 @人社局钱副科长" in reply and "请回复「认领 1」" in reply
    async with uow() as u:
        issue = await u.tickets.by_no(1, with_events=True)
        assert issue is not None and (issue.status, issue.department) == ("open", "市人力资源和社会保障局")
        assert issue.events[-1].kind == "refer" and issue.events[-1].data["rating"] == 2
    await chat.say("认领 1", by="h_rs_sun")  # claimed like any new appeal
    assert chat.one_reply().startswith("#1 已由市人力资源和社会保障局")


async def test_other_appeals_get_policy_lines_with_the_ticket(chat: Chat) -> None:
    await chat.say("新厂房申请用电报装三个月了还没接上电，设备没法调试", by="e_kechuang_song")
    reply = chat.one_reply()
    assert reply.startswith("已受理 #1【水电气暖】") and "「认领 1」" in reply
    assert "相关政策（供参考）：\n1. 小微企业用电报装“三零”服务：" in reply


async def test_policies_respect_enterprise_tags(chat: Chat) -> None:
    await chat.say("技改补助怎么申请？", by="e_youxian_ma")  # 游仙物流 is 小微: 技改补助 is for 规上
    assert all("技术改造补助" not in m.text for m in chat.last)
    await chat.say("技改补助怎么申请？", by="e_huake_liu")  # 华科电子 is 规上
    assert "工业企业技术改造补助" in chat.one_reply()


def test_shipped_library_loads() -> None:
    library = load_policies(DEFAULT_POLICY_FILE)
    assert len(library) >= 12
    assert all(p.contact or p.link for p in library.policies)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("[intake]", '[intake]\npolicy_file = "nope.toml"', "intake.policy_file: .*nope.toml: file not found"),
        ("common_problem_similarity = 0.5", "common_problem_similarity = 2", "intake.common_problem_similarity: should be between 0 and 1"),
        ("common_problem_count = 3", "common_problem_count = 0", "intake.common_problem_count: should be at least 1"),
        ("[intake]", "[intake]\nmodel_dirr = 1", "intake.model_dirr: unknown key"),
        ('model_dir = "var/classifier"', "model_dir = 1", "intake.model_dir: should be a string, got 1"),
    ],
)  # fmt: skip
def test_intake_config_errors(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path, env={})


def test_policy_file_is_read_next_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "policies.toml").write_text(
        '[[policies]]\ntitle = "测试政策"\nsummary = "示例"\nkeywords = ["测试关键词"]\ncontact = "12345"\n',
        encoding="utf-8",
    )
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "[intake]\n", '[intake]\npolicy_file = "policies.toml"\n'
    )
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "config.toml", env={})
    assert config.policies is not None and [p.title for p in config.policies.policies] == ["测试政策"]


def test_a_long_group_is_listed_short() -> None:
    from handlers.replies.intake import numbers

    assert numbers([3, 1, 2]) == "#1 #2 #3"
    assert numbers(list(range(1, 187))) == "#1 #2 #3 #4 #5 #6 #7 … #186 等 186 件"
    assert numbers([*range(1, 8), 186], 186) == numbers(list(range(1, 187)))  # a glimpse of the group
    assert numbers([4, 9], 2) == "#4 #9"
