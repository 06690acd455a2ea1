"""A city of the size the product is for, generated: one city group, county groups and park
groups (default 1 + 9 + 40 = 50), departments with several handlers each, 5,000 enterprises with
industries, sizes and districts, one member each in the group of their place, and leaders.

``python -m tests.support.city --groups 50 --enterprises 5000 > city.toml`` writes one; the benches
and the tests at scale load it with ``load_config``. The example config's categories, schedule and
policies are kept; the roster is the generated one. Seeded: the same arguments give the same city.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

from bot.config import EXAMPLE

COUNTIES = ["涪城区", "游仙区", "安州区", "三台县", "盐亭县", "梓潼县", "北川县", "平武县", "江油市",
            "高新区", "经开区", "科创区"]  # fmt: skip
INDUSTRIES = ["电子信息", "新材料", "食品饮料", "汽车零部件", "现代物流", "纺织服装", "建材", "智能装备",
              "农产品加工", "生物医药", "化工", "文化旅游"]  # fmt: skip
SCALES = ["规上", "中小", "小微"]
TAGS = ["专精特新", "高新", "外贸"]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def city_config(
    groups: int = 50, enterprises: int = 5000, handlers_per_department: int = 27, seed: int = 1
) -> str:
    """The TOML text of a generated city (see the module's docstring)."""
    rng = random.Random(seed)
    rooms = _rooms(groups)
    departments = _departments(handlers_per_department)
    lines = [_base_sections(), *(_room_toml(r, n) for r, n in rooms)]
    lines += _leaders_and_coordinator()
    for d, (name, aliases, handlers) in enumerate(departments):
        lines.append(_department_toml(name, aliases, handlers, leader="ld_chen" if d % 2 else "ld_zhou"))
        lines += [_member_toml(h, f"{aliases[0]}{SURNAMES[i % len(SURNAMES)]}科长", "handler", department=name)
                  for i, h in enumerate(handlers)]  # fmt: skip
    for i in range(enterprises):
        room, place = rooms[i % len(rooms)]
        name = f"{place}{INDUSTRIES[i % len(INDUSTRIES)]}企业{i:04d}有限公司"
        lines.append(_enterprise_toml(name, f"企业{i:04d}", rng, place))
        lines.append(_member_toml(f"e_{i:04d}", f"企业{i:04d}{rng.choice(SURNAMES)}总", "enterprise", enterprise=name,
                                  rooms=[room]))  # fmt: skip
    lines.append(_categories())
    return "\n".join(lines) + "\n"


def _rooms(groups: int) -> list[tuple[str, str]]:
    """(room id, place): the city's group first, then a county's, then parks in the counties."""
    found = [("city@chatroom", "绵阳市")]
    for i in range(1, groups):
        county = COUNTIES[(i - 1) % len(COUNTIES)]
        found.append((f"g{i:03d}@chatroom", county if i < 10 else f"{county}第{i}园区"))
    return found


def _departments(per: int) -> list[tuple[str, list[str], list[str]]]:
    """The example's departments (its categories route to them), each with ``per`` handlers."""
    example = EXAMPLE.read_text(encoding="utf-8")
    out = []
    for d, block in enumerate(re.findall(r"\[\[departments\]\]\n(.*?)\n\n", example, re.S)):
        name = re.search(r'name = "([^"]+)"', block)
        aliases = re.search(r"aliases = \[([^\]]*)\]", block)
        assert name and aliases
        words = [a.strip().strip('"') for a in aliases.group(1).split(",") if a.strip()]
        out.append((name.group(1), words, [f"h_{d:02d}_{k:02d}" for k in range(per)]))
    return out


def _base_sections() -> str:
    """The example's [bot], [web], [intake], [sending], [schedule], [policies] … sections."""
    example = EXAMPLE.read_text(encoding="utf-8")
    kept = re.split(r"\n(?=\[\[)", example, maxsplit=1)[0]
    tail = example[example.index("[schedule]") :]
    tail = tail[: tail.index("[[events]]")] if "[[events]]" in tail else tail
    return kept + "\n" + tail


def _room_toml(room: str, place: str) -> str:
    return f"[[rooms]]\nid = {_q(room)}\nname = {_q(place + '企业服务群')}\n"


def _leaders_and_coordinator() -> list[str]:
    people = [("ld_chen", "陈市长", "leader"), ("ld_zhou", "周副市长", "leader")]
    people += [(f"ld_{i:02d}", f"副市长{i}", "leader") for i in range(3, 16)]
    people.append(("co_yang", "营商办杨主任", "coordinator"))
    return [_member_toml(i, n, r) for i, n, r in people]


def _member_toml(member: str, name: str, role: str, *, department: str = "", enterprise: str = "",
                 rooms: list[str] | None = None) -> str:  # fmt: skip
    lines = ["[[members]]", f"id = {_q(member)}", f"name = {_q(name)}", f"role = {_q(role)}"]
    lines += [f"department = {_q(department)}"] if department else []
    lines += [f"enterprise = {_q(enterprise)}"] if enterprise else []
    lines += [f"rooms = [{', '.join(_q(r) for r in rooms)}]"] if rooms else []
    return "\n".join(lines) + "\n"


def _department_toml(name: str, aliases: list[str], handlers: list[str], leader: str) -> str:
    return (f"[[departments]]\nname = {_q(name)}\naliases = [{', '.join(_q(a) for a in aliases)}]\n"
            f"handlers = [{', '.join(_q(h) for h in handlers)}]\nleader = {_q(leader)}\n")  # fmt: skip


def _enterprise_toml(name: str, short: str, rng: random.Random, district: str) -> str:
    tags = [t for t in TAGS if rng.random() < 0.1]
    return (f"[[enterprises]]\nname = {_q(name)}\nshort = {_q(short)}\nindustry = {_q(rng.choice(INDUSTRIES))}\n"
            f"scale = {_q(rng.choice(SCALES))}\ndistrict = {_q(district[:3])}\ntags = [{', '.join(_q(t) for t in tags)}]\n")  # fmt: skip


def _categories() -> str:
    example = EXAMPLE.read_text(encoding="utf-8")
    start = example.index("[[categories]]")
    end = example.index("[schedule]")
    return example[start:end]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="write a generated city's config (TOML) to standard output")
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--enterprises", type=int, default=5000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    text = city_config(args.groups, args.enterprises)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
