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
    groups: int = 50,
    enterprises: int = 5000,
    handlers_per_department: int = 27,
    seed: int = 1,
    units: bool = False,
) -> str:
    """The TOML text of a generated city (see the module's docstring); with ``units``, in levels:
    the city, its counties (the first groups) and their parks, each county with a leader, a 营商办
    and departments of its own, each park with a 营商办, every enterprise in its group's unit."""
    rng = random.Random(seed)
    rooms = _rooms(groups, units)
    departments = _departments(handlers_per_department)
    lines = [_base_sections(), *(_room_toml(r, n) for r, n in rooms)]
    lines += _leaders_and_coordinator()
    lines += _units(rooms, departments) if units else []
    for d, (name, aliases, handlers) in enumerate(departments):
        lines.append(_department_toml(name, aliases, handlers, leader="ld_chen" if d % 2 else "ld_zhou"))
        lines += [_member_toml(h, f"{aliases[0]}{SURNAMES[i % len(SURNAMES)]}科长", "handler", department=name)
                  for i, h in enumerate(handlers)]  # fmt: skip
    for i in range(enterprises):
        room, place = rooms[i % len(rooms)]
        name = f"{place}{INDUSTRIES[i % len(INDUSTRIES)]}企业{i:04d}有限公司"
        lines.append(
            _enterprise_toml(name, f"企业{i:04d}", rng, place) + (f"unit = {_q(place)}\n" if units else "")
        )
        lines.append(_member_toml(f"e_{i:04d}", f"企业{i:04d}{rng.choice(SURNAMES)}总", "enterprise", enterprise=name,
                                  rooms=[room]))  # fmt: skip
    lines.append(_categories())
    return "\n".join(lines) + "\n"


def _rooms(groups: int, units: bool = False) -> list[tuple[str, str]]:
    """(room id, place): the city's group first, then a county's, then parks in the counties."""
    found = [("city@chatroom", "绵阳市")]
    counties = (
        min(groups - 1, COUNTY_GROUPS) if units else len(COUNTIES)
    )  # a park is in a county with a group
    for i in range(1, groups):
        county = COUNTIES[(i - 1) % counties]
        found.append((f"g{i:03d}@chatroom", county if i <= COUNTY_GROUPS else f"{county}第{i}园区"))
    return found


COUNTY_GROUPS = 9  # groups 1–9 are the counties'; the others parks
OWN = ("人社局", "经信局", "商务局")  # the departments a county has of its own, by the city's short names


def _units(rooms: list[tuple[str, str]], departments: list[tuple[str, list[str], list[str]]]) -> list[str]:
    """[[units]] for the city, the counties and the parks; each county's leader, 营商办 and own
    departments (three handlers each, in the county's group); each park's 营商办."""
    city, *places = rooms
    lines = [f'[[units]]\nname = {_q(city[1])}\nlevel = "市"\nrooms = [{_q(city[0])}]\n']
    for k, (room, place) in enumerate(places, 1):
        county = place if k <= COUNTY_GROUPS else place.split("第", 1)[0]
        park = k > COUNTY_GROUPS
        parent, level = (county, "园区") if park else (city[1], "县区")
        lines.append(
            f"[[units]]\nname = {_q(place)}\nlevel = {_q(level)}\nparent = {_q(parent)}\nrooms = [{_q(room)}]\n"
        )
        lines.append(
            _member_toml(f"co_u{k:03d}", f"{place}营商办", "coordinator", rooms=[room])
            + f"unit = {_q(place)}\n"
        )
        if park:
            continue
        lines.append(
            _member_toml(f"ld_u{k:03d}", f"{place}区县长", "leader", rooms=[room]) + f"unit = {_q(place)}\n"
        )
        for d, (name, words, _) in enumerate(x for x in departments if x[1][0] in OWN):
            own, aliases = (
                [f"h_u{k:03d}_{d}_{j}" for j in range(3)],
                [w for w in words if not w.startswith("市")],
            )
            dept = f"{place}{name.removeprefix('市')}"
            lines.append(
                _department_toml(dept, aliases, own, leader=f"ld_u{k:03d}") + f"unit = {_q(place)}\n"
            )
            lines += [_member_toml(h, f"{place}{aliases[0]}{SURNAMES[j]}股长", "handler", department=dept, rooms=[room])
                      for j, h in enumerate(own)]  # fmt: skip
    return lines


def _departments(per: int) -> list[tuple[str, list[str], list[str]]]:
    """The example's departments (its categories route to them), each with ``per`` handlers."""
    example = EXAMPLE.read_text(encoding="utf-8")
    out = []
    blocks = re.findall(r"\[\[departments\]\]\n(.*?)\n\n", example, re.S)
    for d, block in enumerate(b for b in blocks if "\nunit = " not in b):  # the city's only
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
    parser.add_argument("--units", action="store_true", help="in levels: city, counties, parks")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    text = city_config(args.groups, args.enterprises, units=args.units)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
