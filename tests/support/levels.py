"""The example config in two levels, for the tests of issue 24: 绵阳市 (the example's group and
departments) and two counties below it, 涪城区 and 三台县, each with its own group, a 人社局 of its
own (the county's word 人社局 is also the city's: said in a county group it names the county's),
a leader and a 营商办, and an enterprise in each county's group."""

from __future__ import annotations

from pathlib import Path

from bot.config import EXAMPLE, Config, load_config

CITY_ROOM, FUCHENG_ROOM, SANTAI_ROOM = "mianyang-qiyejia@chatroom", "fucheng@chatroom", "santai@chatroom"
LEVELS = f"""
[[rooms]]
id = "{FUCHENG_ROOM}"
name = "涪城区企业服务群"

[[rooms]]
id = "{SANTAI_ROOM}"
name = "三台县企业服务群"

[[units]]
name = "绵阳市"
level = "市"
rooms = ["{CITY_ROOM}"]

[[units]]
name = "涪城区"
level = "县区"
parent = "绵阳市"
rooms = ["{FUCHENG_ROOM}"]

[[units]]
name = "三台县"
level = "县区"
parent = "绵阳市"
rooms = ["{SANTAI_ROOM}"]

[[departments]]
name = "涪城区人力资源和社会保障局"
aliases = ["人社局", "区人社局"]
handlers = ["h_fc_rs"]
leader = "ld_fucheng"
unit = "涪城区"

[[departments]]
name = "三台县人力资源和社会保障局"
aliases = ["人社局", "县人社局"]
handlers = ["h_st_rs"]
leader = "ld_santai"
unit = "三台县"

[[members]]
id = "h_fc_rs"
name = "涪城区人社局赵股长"
role = "handler"
department = "涪城区人力资源和社会保障局"
rooms = ["{FUCHENG_ROOM}"]

[[members]]
id = "h_st_rs"
name = "三台县人社局钱股长"
role = "handler"
department = "三台县人力资源和社会保障局"
rooms = ["{SANTAI_ROOM}"]

[[members]]
id = "ld_fucheng"
name = "涪城区区长"
role = "leader"
unit = "涪城区"
rooms = ["{FUCHENG_ROOM}"]

[[members]]
id = "ld_santai"
name = "三台县县长"
role = "leader"
unit = "三台县"
rooms = ["{SANTAI_ROOM}"]

[[members]]
id = "co_fucheng"
name = "涪城区营商办"
role = "coordinator"
unit = "涪城区"
rooms = ["{FUCHENG_ROOM}"]

[[enterprises]]
name = "涪城精工机械有限公司"
short = "涪城精工"
unit = "涪城区"

[[members]]
id = "e_fc_he"
name = "涪城精工何总"
role = "enterprise"
enterprise = "涪城精工"
rooms = ["{FUCHENG_ROOM}"]

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


def levels_config(folder: Path, extra: str = "", levels: str = LEVELS) -> Config:
    """The example with ``levels`` (and ``extra``) appended, loaded as a deployment would."""
    path = folder / "levels.toml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8") + levels + extra, encoding="utf-8")
    return load_config(path, env={})
