"""The example config's levels with a second county, for the tests of issue 24: 绵阳市 (the
example's group and departments), 涪城区 below it (the example's: a group, a 人社局 and a 商务局 of
its own — said in a county group, 人社局 names the county's — a leader, a 营商办, an enterprise) and
its park 涪城高新园区; and here 三台县 beside 涪城区, with a group, a 人社局, a leader and an
enterprise but no 营商办 of its own (the city's acts for it)."""

from __future__ import annotations

from pathlib import Path

from bot.config import EXAMPLE, Config, load_config

CITY_ROOM, FUCHENG_ROOM, SANTAI_ROOM = "mianyang-qiyejia@chatroom", "fucheng@chatroom", "santai@chatroom"
PARK_ROOM = "fucheng-park@chatroom"
LEVELS = f"""
[[rooms]]
id = "{SANTAI_ROOM}"
name = "三台县企业服务群"

[[units]]
name = "三台县"
level = "县区"
parent = "绵阳市"
rooms = ["{SANTAI_ROOM}"]

[[departments]]
name = "三台县人力资源和社会保障局"
aliases = ["人社局", "县人社局"]
handlers = ["h_st_rs"]
leader = "ld_santai"
unit = "三台县"

[[members]]
id = "h_st_rs"
name = "三台县人社局钱股长"
role = "handler"
department = "三台县人力资源和社会保障局"
rooms = ["{SANTAI_ROOM}"]

[[members]]
id = "ld_santai"
name = "三台县县长"
role = "leader"
unit = "三台县"
rooms = ["{SANTAI_ROOM}"]

[[enterprises]]
name = "三台麦冬食品有限公司"
short = "三台麦冬"
unit = "三台县"

[[members]]
id = "e_st_tang"
name = "三台麦冬唐总"
role = "enterprise"
enterprise = "三台麦冬"
rooms = ["{SANTAI_ROOM}"]
"""


def levels_config(folder: Path, extra: str = "", levels: str = LEVELS, example: str | None = None) -> Config:
    """The example (``example``: its text changed) with ``levels`` and ``extra`` appended, loaded
    as a deployment would."""
    path = folder / "levels.toml"
    text = EXAMPLE.read_text(encoding="utf-8") if example is None else example
    path.write_text(text + levels + extra, encoding="utf-8")
    return load_config(path, env={})


def flat_example() -> str:
    """The example config's text without its levels section: a single-level deployment."""
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index("# ---------------------------------------------------------------- levels")
    end = text.index("# ---------------------------------------------------------------- categories")
    return text[:start] + text[end:]
