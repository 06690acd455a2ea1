"""The whole loop as people live it in the group, against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from storage.uow import UnitOfWorkFactory
from tests.support.chat import ROOM, Chat

BOSS = "e_huake_liu"  # 华科电子刘总; liaison 经信局王科长
BOSS2 = "e_huake_xiao"  # same enterprise
OTHER_BOSS = "e_fucheng_jiang"  # another enterprise
POWER = "h_gd_shi"  # 供电公司施经理
JX = "h_jx_wang"  # 经信局王科长
RS = "h_rs_sun"  # 人社局孙科长
LEADER = "ld_chen"
COORD = "co_yang"

OUTAGE = "园区这周第三次停电了，生产线停了半天，损失很大"


async def status_of(uow: UnitOfWorkFactory, no: int) -> str:
    async with uow() as u:
        issue = await u.tickets.by_no(no)
        assert issue is not None
        return issue.status


async def test_happy_path(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say(OUTAGE, by=BOSS)
    ack = chat.one_reply()
    assert ack.startswith("【紧急】已受理 #1【水电气暖】")
    assert "国网绵阳供电公司 @供电公司施经理" in ack and "「认领 1」" in ack
    assert "包联：@经信局王科长" in ack
    assert set(chat.last[0].mentions) == {POWER, JX} and chat.last[0].room_id == ROOM

    await chat.say("认领 1", by=POWER)
    assert chat.one_reply().startswith("#1 已由国网绵阳供电公司 @供电公司施经理 认领")
    assert chat.last[0].mentions == (BOSS,)

    await chat.say("进度 1 抢修队已到现场，正在更换变压器", by=POWER)
    assert chat.one_reply().startswith("#1 进度（国网绵阳供电公司）：抢修队已到现场")

    await chat.say("办结 1 已更换变压器，恢复供电", by=POWER)
    assert "#1 已办结" in chat.one_reply() and "「评价 1 满意」" in chat.one_reply()
    assert await status_of(uow, 1) == "resolved"

    await chat.say("评价 1 满意", by=BOSS2)  # a colleague from the same enterprise may rate
    assert chat.one_reply() == "#1 评价：满意，已关闭。感谢您的反馈！"
    async with uow() as u:
        issue = await u.tickets.by_no(1, with_events=True)
        assert issue is not None
        assert (issue.status, issue.rating, issue.outcome) == ("closed", 4, "resolved")
        assert [e.kind for e in issue.events] == ["create", "claim", "progress", "resolve", "rate"]
        assert [e.actor for e in issue.events] == [BOSS, POWER, POWER, POWER, BOSS2]


async def test_unsatisfied_reopens_and_escalates(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say(f"诉求 {OUTAGE}", by=BOSS)
    await chat.say("认领 1", by=POWER)
    await chat.say("办结 1 已处理", by=POWER)
    await chat.say("评价 1 不满意", by=BOSS)
    reply = chat.one_reply()
    assert reply.startswith("#1 企业评价「不满意」，已重新办理（第1次，督办等级1）")
    assert POWER in chat.last[0].mentions and "ld_zhou" in chat.last[0].mentions  # 分管领导
    assert await status_of(uow, 1) == "claimed"
    await chat.say("办结 1 再次检修", by=POWER)
    await chat.say("评价 1 1", by=BOSS)
    assert "非常不满意" in chat.one_reply() and "第2次" in chat.one_reply()
    assert {"ld_chen", "ld_zhou"} <= set(chat.last[0].mentions)  # reopened twice: leaders


async def test_withdraw(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say(f"诉求 {OUTAGE}", by=BOSS)
    await chat.say("撤回 1", by=OTHER_BOSS)
    assert chat.one_reply() == "#1 不是贵企业提出的诉求，不能撤回。"
    await chat.say("撤回 1", by=BOSS)
    assert chat.one_reply().startswith("#1 已撤回")
    assert await status_of(uow, 1) == "withdrawn"
    await chat.say("认领 1", by=POWER)
    assert chat.one_reply() == "#1 当前已撤回，不能认领。"


async def test_transfer_and_assist(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say("诉求 厂里招不到熟练技工，缺口30多人", by=BOSS)
    assert "市人力资源和社会保障局" in chat.one_reply()
    await chat.say("认领 1", by=RS)
    await chat.say("转办 1 人社局", by=RS)
    assert chat.one_reply() == "#1 已由市人力资源和社会保障局承办，无需转办。"
    await chat.say("转办 1 经信局", by=RS)
    reply = chat.one_reply()
    assert reply.startswith("#1 已由市人力资源和社会保障局转至市经济和信息化局 @经信局王科长")
    assert chat.last[0].mentions == (JX,)
    assert await status_of(uow, 1) == "open"
    await chat.say("进度 1 在对接", by=RS)  # no longer theirs
    assert chat.one_reply().startswith("#1 由市经济和信息化局承办，只有市经济和信息化局可以报进度。")
    await chat.say("进度 1 在对接", by=JX)  # theirs, but not claimed yet
    assert chat.one_reply() == "#1 当前待认领，不能报进度。请先「认领 1」。"
    await chat.say("认领 1", by=JX)
    await chat.say("协办 1 人社局", by=JX)
    assert chat.one_reply().startswith("#1 增加协办：市人力资源和社会保障局 @人社局孙科长 @人社局钱副科长")
    await chat.say("协办 1 人社局", by=JX)
    assert "无需重复添加" in chat.one_reply()
    await chat.say("进度 1 已组织专场招聘会", by=RS)  # an assisting department may report progress
    assert chat.one_reply().startswith("#1 进度（市人力资源和社会保障局）")
    await chat.say("办结 1 招聘会已办", by=RS)  # ... but not resolve
    assert chat.one_reply() == (
        "#1 由市经济和信息化局承办，只有市经济和信息化局可以办结。如应由贵部门办理，请营商办或领导「转办 1 贵部门」。"
    )
    await chat.say("转办 1 不存在局", by=JX)
    assert chat.one_reply().startswith("没有找到部门「不存在局」")


async def test_assign_existing_and_new_task(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say("诉求 想了解一下有没有什么新的扶持", by=BOSS)
    await chat.say("交办 1 金融局", by=LEADER)
    assert chat.one_reply().startswith("#1 已交办市金融工作局 @金融局郑科长办理")
    assert await status_of(uow, 1) == "claimed"
    await chat.say("交办 帮九洲智联对接中欧班列 商务局", by=LEADER)
    reply = chat.one_reply()
    assert reply.startswith("【交办】#2 帮九洲智联对接中欧班列\n承办：市商务局 @商务局邓科长")
    await chat.say("办结 2 已对接成都国际铁路港", by="h_sw2_deng")
    assert "#2 已办结" in chat.one_reply()
    await chat.say("交办 1 经信局", by=BOSS)
    assert chat.one_reply().startswith("「交办」只有领导、协调员可以使用")
    await chat.say("交办 随便什么", by=LEADER)
    assert chat.one_reply().startswith("格式：交办 <编号或任务> <部门>")


async def test_urge(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say(f"诉求 {OUTAGE}", by=BOSS)
    await chat.say("督办 1 今天下班前必须恢复供电", by=LEADER)
    reply = chat.one_reply()
    assert reply.startswith("【督办】#1（督办等级1）")
    assert "@供电公司施经理 今天下班前必须恢复供电" in reply and chat.last[0].mentions == (POWER,)
    await chat.say("督办 1", by=POWER)
    assert chat.one_reply().startswith("「督办」只有领导、协调员可以使用")
    await chat.say("督办 1", by=COORD)
    assert "ld_zhou" in chat.last[0].mentions  # level 2 brings in the 分管领导


async def test_explain(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say("诉求 我们想把厂房旁边那块基本农田改成工业用地扩建", by=BOSS)
    await chat.say("认领 1", by="h_zr_zhao")
    await chat.say("说明 1", by="h_zr_zhao")
    assert (
        chat.one_reply()
        == "格式：说明 <编号> <不能办理的原因>，例如「说明 1 该地块属基本农田，依法不能变更」。"
    )
    await chat.say("说明 1 该地块属永久基本农田，依法不能变更用途", by="h_zr_zhao")
    assert chat.one_reply().startswith("#1 说明办结（市自然资源和规划局）：该地块属永久基本农田")
    await chat.say("评价 1 基本满意", by=BOSS)
    async with uow() as u:
        issue = await u.tickets.by_no(1)
        assert issue is not None and (issue.status, issue.outcome, issue.rating) == ("closed", "explained", 3)


async def test_refusals_change_nothing(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say(f"诉求 {OUTAGE}", by=BOSS)
    cases = [
        ("认领 1", BOSS, "「认领」只有部门可以使用。发「帮助」查看您能用的命令。"),
        ("认领 99", POWER, "没有找到 #99，请核对编号（发「我的」可查看相关诉求）。"),
        ("认领", POWER, "格式：认领 <编号>，例如「认领 12」。"),
        ("办结 1 好了", POWER, "#1 当前待认领，不能办结。请先「认领 1」。"),
        ("评价 1 满意", BOSS, "#1 当前待认领，不能评价。请先「认领 1」。"),
        ("评价 1 超级棒", BOSS, "看不懂评价「超级棒」，请写：非常满意/满意/基本满意/不满意/非常不满意，或 1–5。"),
        ("受理 1", POWER, "「受理」只有协调员可以使用。发「帮助」查看您能用的命令。"),
        ("归类 1 天气", COORD, "没有类别「天气」。可选：融资信贷、用地规划、用工人才、审批办证、水电气暖、税费、涉法涉诉、物流交通、市场开拓、政策咨询、环保安全、其他。"),
        ("进度 1", POWER, "格式：进度 <编号> <进展>，例如「进度 1 已联系银行，本周内对接」。"),
        ("转办 1", POWER, "格式：转办 <编号> <部门>，例如「转办 1 人社局」。"),
        ("/frobnicate 1", BOSS, "没看懂这条命令。发「帮助」查看可用命令。"),
        ("诉求", BOSS, "格式：诉求 <问题描述>，例如「诉求 园区三天两头停电，生产线受影响」。"),
    ]  # fmt: skip
    for text, by, expected in cases:
        await chat.say(text, by=by)
        assert chat.one_reply() == expected, text
    await chat.say("认领 1", by=POWER)
    await chat.say("办结 1 好了", by=JX)
    assert chat.one_reply() == (
        "#1 由国网绵阳供电公司承办，只有国网绵阳供电公司可以办结。如应由贵部门办理，请营商办或领导「转办 1 贵部门」。"
    )
    await chat.say("办结 1 已恢复", by=POWER)
    await chat.say("评价 1 满意", by=OTHER_BOSS)
    assert chat.one_reply() == "#1 不是贵企业提出的诉求，不能评价。"
    async with uow() as u:
        issue = await u.tickets.by_no(1, with_events=True)
        assert issue is not None and issue.status == "resolved"
        assert [e.kind for e in issue.events] == ["create", "claim", "resolve"]


@pytest.mark.parametrize(
    "text",
    ["认领12", "认领 #1", "#认领 1号", "认领１", "@助企小助手 认领 1", "@小助手\u2005认领 1", "/claim 1"],
)
async def test_parser_variants_claim(chat: Chat, text: str) -> None:
    await chat.say(f"诉求 {OUTAGE}", by=BOSS)
    await chat.say(text.replace("12", "1"), by=POWER)
    assert chat.one_reply().startswith("#1 已由国网绵阳供电公司")


CHATTER = [
    "收到", "好的", "收到，谢谢领导", "感谢领导关心！", "👍", "👍👍👍", "[强][强]", "🙏", "OK", "好的好的",
    "辛苦了", "已阅", "明白", "https://www.mianyang.gov.cn/zcwj/2026/1120.html",
    "【会议通知】定于11月25日（周三）下午3点在市政府3楼会议室召开民营企业座谈会，请各企业负责人准时参加。",
    "各位企业家：根据市委市政府部署，本周五开展“企业服务日”活动，欢迎大家踊跃参加。",
    "接龙：1. 华科电子 刘总 2. 涪城新材 蒋总",
    "感谢市领导和各部门的大力支持，我们一定把企业办好！",
    "大家周末愉快", "早上好",
]  # fmt: skip


async def test_chatter_never_opens_tickets(chat: Chat, uow: UnitOfWorkFactory) -> None:
    for i, line in enumerate(CHATTER):
        await chat.say(line, by=BOSS if i % 2 else OTHER_BOSS)
        assert chat.silent(), line
    for line in ("各部门请于本周五前报送企业服务台账。", "大家辛苦了，问题要一件一件抓落实。"):
        await chat.say(line, by=LEADER)  # leaders' announcements
        assert chat.silent()
    async with uow() as u:
        assert await u.tickets.count_by_status() == {}


async def test_follow_up_is_added_to_the_open_ticket(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say(OUTAGE, by=BOSS)
    await chat.say("另外我们的变压器也是二十年前的老设备了", by=BOSS)
    assert chat.one_reply() == "已补充到 #1。"
    await chat.say("谢谢", by=BOSS)
    assert chat.silent()
    async with uow() as u:
        issue = await u.tickets.by_no(1, with_events=True)
        assert issue is not None and [e.kind for e in issue.events] == ["create", "supplement"]
        assert await u.tickets.count_by_status() == {"open": 1}


async def test_redelivery_does_nothing(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say(OUTAGE, by=BOSS, message_id="wx-1")
    assert len(chat.last) == 1
    await chat.say(OUTAGE, by=BOSS, message_id="wx-1")
    assert chat.silent()
    async with uow() as u:
        assert await u.tickets.count_by_status() == {"open": 1}


async def test_candidate_accept_and_dismiss(chat: Chat, uow: UnitOfWorkFactory) -> None:
    from dataclasses import replace

    chat.dispatcher.services.settings = replace(chat.dispatcher.services.settings, confidence_threshold=1.0)
    await chat.say("我们想问问关于贷款的事情", by=BOSS)
    # No announcement with a number in the group: the coordinator is told privately, the sender
    # only hears that someone will look (issue 12).
    private, ack = chat.last
    assert private.to_id == COORD and "疑似诉求 #1" in private.text and "「受理 1」" in private.text
    assert (
        ack.room_id == ROOM
        and ack.text == "@华科电子刘总 收到，已转营商办确认，确认后会告诉您编号和承办部门。"
    )
    assert ack.mentions == (BOSS,) and "#1" not in ack.text
    assert await status_of(uow, 1) == "candidate"
    await chat.say("受理 1", by=COORD, room_id=None)  # privately
    assert chat.last[0].room_id == ROOM and chat.last[0].text.startswith("已受理 #1【融资信贷】")
    await chat.say("我们厂门口的路灯坏了好久，晚上贷款客户来看厂很不方便", by=OTHER_BOSS)
    await chat.say("驳回 2 不属于企业诉求", by=COORD)
    assert chat.one_reply() == "#2 已驳回：不属于企业诉求。"
    async with uow() as u:
        issue = await u.tickets.by_no(2)
        assert issue is not None and (issue.status, issue.outcome) == ("closed", "dismissed")


async def test_recategorize_learns(chat: Chat, uow: UnitOfWorkFactory) -> None:
    text = "诉求 土地使用税按整块地收，可一半地还没交付"  # the model reads 用地规划; it is a tax
    await chat.say(text, by=BOSS)
    await chat.say("归类 1 税费", by=COORD)
    reply = chat.one_reply()
    assert reply.startswith("#1 类别已由「")
    assert "改为「税费」" in reply and "国家税务总局绵阳市税务局" in reply
    async with uow() as u:
        issue = await u.tickets.by_no(1)
        assert issue is not None
        assert (issue.category, issue.department) == ("税费", "国家税务总局绵阳市税务局")
        assert issue.original_category != "税费"
    verdict = chat.dispatcher.services.classifier.classify("土地使用税按整块地收，可一半地还没交付")
    assert verdict.category == "税费"


async def test_queries(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say(f"诉求 {OUTAGE}", by=BOSS)
    await chat.say("诉求 厂里招不到熟练技工，缺口30多人", by=OTHER_BOSS)
    await chat.say("认领 1", by=POWER)
    await chat.say("查询 1", by=OTHER_BOSS)  # another enterprise's ticket is not theirs to read
    assert chat.one_reply() == "#1 不是贵企业提出的诉求，无法查看。"
    await chat.say("查询 1", by=BOSS)
    reply = chat.one_reply()
    assert reply.startswith("#1【水电气暖】办理中") and "企业：绵阳华科精密电子有限公司" in reply
    assert "供电公司施经理 认领" in reply
    await chat.say("我的", by=BOSS)
    assert chat.one_reply().startswith("您的诉求（1）：\n1. #1【水电气暖】")
    await chat.say("我的", by=POWER)
    assert chat.one_reply().startswith("国网绵阳供电公司在办（1）")
    await chat.say("待认领", by=RS)
    assert chat.one_reply().startswith("市人力资源和社会保障局待认领（1）：\n1. #2【用工人才】")
    await chat.say("待认领", by=POWER)
    assert chat.one_reply() == "国网绵阳供电公司待认领：暂无。"
    await chat.say("统计", by=LEADER)
    assert chat.one_reply().startswith("诉求共 2 件：待认领 1，办理中 1")
    await chat.say("超期", by=LEADER)
    assert chat.one_reply() == "目前没有超期诉求 👍"


async def test_help_depends_on_role(chat: Chat) -> None:
    await chat.say("帮助", by=BOSS, room_id=None)
    enterprise_help = chat.one_reply()
    assert "评价 <编号> <满意度>" in enterprise_help and "认领 <编号>" not in enterprise_help
    await chat.say("帮助", by=POWER, room_id=None)
    handler_help = chat.one_reply()
    assert "认领 <编号>" in handler_help and "评价 <编号>" not in handler_help
    await chat.say("帮助", by=LEADER, room_id=None)
    assert "督办 <编号> [要求]" in chat.one_reply() and "交办" in chat.one_reply()
    await chat.say("帮助", by=COORD, room_id=None)
    assert "受理 <编号>" in chat.one_reply() and "归类 <编号> <类别>" in chat.one_reply()


async def test_help_in_the_group_is_short_and_the_whole_list_goes_privately(chat: Chat) -> None:
    """Issue 12: 帮助 posted up to 16 lines to the whole group."""
    await chat.say("帮助", by=POWER)
    in_group, private = chat.last
    assert (
        in_group.room_id == ROOM
        and "\n" not in in_group.text
        and in_group.text.endswith("完整命令表已私信发给您。")
    )
    assert in_group.text.startswith("小助手常用命令（部门）：「认领 <编号>」")
    assert private.to_id == POWER and private.text.count("\n") >= 8 and "说明 <编号>" in private.text


async def test_private_chat_and_unknown_room(chat: Chat) -> None:
    await chat.say("统计", by=LEADER, room_id=None)
    assert chat.last[0].to_id == LEADER and chat.last[0].room_id is None
    await chat.say(OUTAGE, by=BOSS, room_id="someone-elses-group@chatroom")
    assert chat.silent()


async def test_unknown_member_is_treated_as_enterprise(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say("诉求 我们新厂的施工许可证卡在审批环节一个多月了", by="wxid_stranger")
    assert chat.one_reply().startswith("已受理 #1【审批办证】")
    await chat.say("认领 1", by="wxid_stranger")
    assert chat.one_reply().startswith("「认领」只有部门可以使用")


async def test_attachment_is_noted_on_the_open_ticket(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say(OUTAGE, by=BOSS)
    await chat.say("[图片]", by=BOSS, kind="image")
    assert chat.silent()
    async with uow() as u:
        issue = await u.tickets.by_no(1, with_events=True)
        assert issue is not None and issue.events[-1].kind == "attachment"


async def test_supplement_and_recur(chat: Chat, uow: UnitOfWorkFactory) -> None:
    await chat.say(f"诉求 {OUTAGE}", by=BOSS)
    await chat.say("认领 1", by=POWER)
    await chat.say("补充 1 配电房在三号厂房东侧", by=BOSS)
    assert chat.one_reply() == "已补充到 #1。@供电公司施经理" and chat.last[0].mentions == (POWER,)
    await chat.say("补充 1 别家的事", by=OTHER_BOSS)
    assert chat.one_reply() == "#1 不是贵企业提出的诉求，不能补充。"
    await chat.say("办结 1 已检修", by=POWER)
    await chat.say("评价 1 满意", by=BOSS)
    await chat.say("补充 1 又有新情况", by=BOSS)
    assert chat.one_reply() == "#1 当前已关闭，不能补充。"
    await chat.say("复发 1", by=BOSS)
    assert chat.one_reply().startswith("#1 企业反馈问题复发，已重新办理（第1次，督办等级1）")
    assert await status_of(uow, 1) == "claimed"
    await chat.say("复发 1", by=BOSS)
    assert chat.one_reply() == "#1 当前办理中，不能反馈复发。"


async def test_unknown_member_binds_to_an_enterprise(chat: Chat, uow: UnitOfWorkFactory) -> None:
    stranger = "wxid_newcomer"
    await chat.say("绑定 不存在的公司", by=stranger)
    assert chat.one_reply() == "没有找到企业「不存在的公司」，请写企业全称或简称，例如「绑定 华科电子」。"
    await chat.say("绑定 华科", by=stranger)
    reply = chat.one_reply()
    assert reply.startswith("绑定申请 1：wxid_newcomer → 绵阳华科精密电子有限公司")
    assert "「确认绑定 1」" in reply and chat.last[0].mentions == (COORD,)
    await chat.say("确认绑定 1", by=BOSS)
    assert chat.one_reply().startswith("「确认绑定」只有协调员可以使用")
    await chat.say(f"诉求 {OUTAGE}", by=stranger)  # not yet confirmed: no enterprise on the ticket
    await chat.say("确认绑定 1", by=COORD)
    assert chat.one_reply().startswith("已确认：@wxid_newcomer 为绵阳华科精密电子有限公司成员")
    assert chat.last[0].mentions == (stranger,)
    await chat.say("确认绑定 1", by=COORD)
    assert chat.one_reply() == "绑定申请 1 已处理过（已确认）。"
    await chat.say("诉求 厂里招不到熟练技工，缺口30多人", by=stranger)
    assert "包联：@经信局王科长" in chat.one_reply()  # the enterprise's liaison is now mentioned
    await chat.say("绑定 华科电子", by=stranger)
    assert chat.one_reply() == "您已绑定绵阳华科精密电子有限公司，无需重复。"
    await chat.say("绑定 涪城新材", by=BOSS)
    assert chat.one_reply() == "您已在名册中（绵阳华科精密电子有限公司），无需绑定。"
    async with uow() as u:
        first, second = await u.tickets.by_no(1), await u.tickets.by_no(2)
        assert first is not None and second is not None
        assert (first.enterprise, second.enterprise) == (None, "绵阳华科精密电子有限公司")
