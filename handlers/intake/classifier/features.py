"""What a chat message is made of for the model: character 1–3-grams, jieba words and pairs, a
domain lexicon."""

from __future__ import annotations

import functools
import itertools
import logging
import re
import threading
from collections import Counter
from collections.abc import Mapping
from types import MappingProxyType

import rjieba

log = logging.getLogger(__name__)

# Changing the words or their frequency changes features: bump model.FORMAT_VERSION.
DOMAIN_WORD_FREQ = 1000
# Words of this domain that jieba's general dictionary splits badly.
DOMAIN_WORDS = (
    "专精特新",
    "留抵退税",
    "加计扣除",
    "不动产权证",
    "排污许可证",
    "稳岗返还",
    "供电公司",
    "人社局",
    "经信局",
    "税务局",
    "金融局",
    "金融工作局",
    "发改委",
    "住建局",
    "政务服务中心",
    "市场监管局",
    "生态环境局",
    "应急管理局",
    "应急局",
    "交通运输局",
    "自然资源和规划局",
    "规划局",
    "管委会",
    "环评",
    "危废",
    "续贷",
    "抽贷",
    "转贷",
    "贴息",
    "社保",
    "公积金",
    "欠薪",
    "停产",
    "断电",
    "接龙",
)
# Words that speak for one kind of appeal, grouped by hand (domain knowledge, not fitted to the seed).
# A word sits in one group unless it truly belongs to two: 员工/职工/宿舍 left 用工 (they are as
# often about employees' daily life, which is 其他) and 公交/停车 left 其他 (they are 物流交通).
# A message gets one feature per group it touches, counting distinct words: with ~40 examples a
# class, "招工" seen in training vouches for "缺工" and "技工" that the corpus may never show. The
# groups are named after the categories but are plain features; the model learns their weights.
LEXICON = {
    "用工": "招工 招人 招聘 招不到 缺工 用工 工人 技工 普工 师傅 跳槽 离职 辞职 劳动合同 劳动仲裁"
    " 劳务 派遣 人才 社保 养老保险 医保 工伤 培训 实习 毕业生 大学生 学徒 稳岗 工资 加班 人社 返聘"
    " 退休 竞业 年金 外籍 技能 岗位 就业 猎头 高校",
    "水电": "停电 断电 供电 用电 电价 电费 电压 变压器 线路 电力 跳闸 停水 断水 供水 自来水 水压 水费 排水"
    " 污水管 燃气 天然气 用气 气价 停气 暖气 供暖 供热 蒸汽 管网 管道 电网 增容 路灯 信号 基站 宽带 网络"
    " 光纤 电表 水表 气表",
    "其他": "园区 配套 食堂 超市 厕所 公厕 垃圾 篮球 体检 户口 子女 孩子 学位 入学 上学 报表 检查 调研 接待"
    " 指示牌 导航 热线 生活 租房 住房 宿舍 公租房 幼儿园 医院 医务室 药店 餐馆 便利店 治安 绿化 工会 协会"
    " 商会 慈善 档案 座谈会 活动中心 联谊 体育 流浪狗 广场舞 没有回复",
    "税费": "税 发票 退税 留抵 抵扣 个税 增值税 所得税 加计扣除 税务 缴费 滞纳金 稽查 票 开票 社保费",
    "融资": "贷款 续贷 抽贷 转贷 银行 融资 担保 抵押 利率 利息 贴息 授信 信用 保理 过桥 资金 周转 上市 股权 投资",
    "涉法": "合同 纠纷 起诉 诉讼 法院 仲裁 执行 律师 欠款 货款 拖欠 侵权 假冒 商标 专利 报警 报案 公安 诈骗"
    " 失信 判决 维权 追讨",
    "用地": "土地 用地 厂房 规划 容积率 红线 出让 地块 宗地 不动产 土地证 房产证 报建 拆迁 搬迁 征地 闲置 租赁"
    " 转租 建设用地 工业用地",
    "办证": "审批 办证 许可证 许可 资质 备案 注册 营业执照 执照 年检 验收 消防 立项 审查 变更 登记 证书 办理"
    " 窗口 跑 材料 一网通办",
    "政策": "政策 补贴 奖励 申报 认定 扶持 专项 资金 高新 专精特新 小巨人 瞪羚 规上 技改 兑现 项目申报 减免 纾困",
    "市场": "订单 市场 销售 展会 客户 出口 外贸 采购 供需 对接 产品 推广 品牌 电商 招标 投标 政府采购 渠道 库存 滞销",
    "物流": "物流 运输 货车 限行 通行证 道路 修路 交通 快递 仓储 港口 铁路 高速 货运 超载 公交 停车 堵车 车辆 大货车",
    "环保": "环保 环评 排污 污染 废水 废气 危废 粉尘 噪声 噪音 扬尘 安全 安监 应急 隐患 消防 危化 化学品 泄漏 爆炸"
    " 火灾 排放 治理 整改",
    # Not a category: what announcements, thanks and social talk are made of. They outnumber appeals
    # in a group and can read like one word for word (「住建局通知：本周开展扬尘检查」 names a problem).
    "闲聊": "提醒 通知 公告 转发 分享 温馨提示 欢迎 感谢 谢谢 多谢 辛苦 客气 点赞 好评 应该做的 坐坐 打球 聚餐"
    " 喝茶 吃饭 周末 放假 节日快乐 恭喜 祝贺 正常营业 按照要求 一定 收到 已阅 随时",
}
LEXICON_PREFIX = "lex:"


def _word_groups() -> Mapping[str, tuple[str, ...]]:
    """Each lexicon word → the groups it belongs to (a word may sit in two)."""
    groups: dict[str, tuple[str, ...]] = {}
    for group, words in LEXICON.items():
        for word in words.split():
            groups[word] = (*groups.get(word, ()), LEXICON_PREFIX + group)
    return MappingProxyType(groups)


_LEXICON_GROUPS = _word_groups()
LEXICON_WORDS = frozenset(_LEXICON_GROUPS)
_LONG_LEXICON_WORDS = tuple(w for w in _LEXICON_GROUPS if len(w) > 3)  # shorter: among the char n-grams
_LENGTH_BUCKETS = (2, 4, 8, 16, 32, 64)
# 「住建局通知：…」「交警支队提醒：…」「转发：…」: a post that passes something on, headed as such.
_ANNOUNCEMENT = re.compile(
    r"^(?:[^，。！？:：\s]{0,12}(?:提醒|通知|公告|提示)[:：]|转发|分享|【[^】]{1,12}】)"
)


class Tokenizer:
    """jieba's segmentation (DAG over the dictionary, best route, no HMM) by jieba-rs, the Rust port
    with the same dictionary and algorithm (``rjieba``), about ten times faster (docs/performance.md).
    The domain words join the dictionary; built lazily on first use."""

    def __init__(self) -> None:
        self._jieba: rjieba.Jieba | None = None
        self._lock = threading.Lock()

    def ready(self) -> rjieba.Jieba:
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    segmenter = rjieba.Jieba()
                    for word in DOMAIN_WORDS:
                        segmenter.add_word(word, DOMAIN_WORD_FREQ, None)
                    self._jieba = segmenter
        return self._jieba

    def words(self, text: str) -> list[str]:
        """The words, punctuation and spaces dropped (a word of letters, digits or 汉字 is alphanumeric)."""
        return [w for w in self.ready().cut(text, False) if w.isalnum()]


@functools.cache
def shared_tokenizer() -> Tokenizer:
    """One tokenizer per process (the dictionary is built once)."""
    return Tokenizer()


def char_tokens(norm: str) -> list[str]:
    """Character 1–3-grams of the normalised text, with start and end marks (spaces are not unigrams)."""
    marked = f"\x02{norm}\x03"
    size = len(marked)
    items = [c for c in norm if c != " "]
    items += [marked[i : i + 2] for i in range(size - 1)]
    items += [marked[i : i + 3] for i in range(size - 2)]
    return items


def word_tokens(norm: str, tokenizer: Tokenizer, short_lexicon: set[str] | None = None) -> list[str]:
    """jieba words and word pairs, a length bucket, and one token per distinct lexicon word's group
    (``short_lexicon``: the lexicon words of up to 3 characters in the text, when already known)."""
    words = tokenizer.words(norm)
    items = ["w:" + w for w in words]
    items += [f"b:{a}|{b}" for a, b in itertools.pairwise(words)]
    items.append(f"#len<={next((b for b in _LENGTH_BUCKETS if len(norm) <= b), 999)}")
    if _ANNOUNCEMENT.match(norm):
        items.append("#announcement")
    items += lexicon_features(norm, short_lexicon).elements()
    return items


def lexicon_features(norm: str, short_lexicon: set[str] | None = None) -> Counter[str]:
    """Per LEXICON group, how many distinct of its words occur in the normalised text."""
    found = short_lexicon if short_lexicon is not None else set(char_tokens(norm)) & LEXICON_WORDS
    longer = {word for word in _LONG_LEXICON_WORDS if word in norm}
    return Counter(group for word in found | longer for group in _LEXICON_GROUPS[word])
