// Time travel for the simulator: move the bot's clock forward; reminders and digests that fall
// due on the way appear in the chat at the time they would have been sent.
(() => {
  "use strict";
  const fmt = (iso) => new Date(iso).toLocaleString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });
  const short = (iso) => new Date(iso).toLocaleString("zh-CN", {
    hour12: false, timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
  let morning = null;
  const show = (iso) => { document.getElementById("clock").textContent = "小助手时间：" + fmt(iso); };
  // The button says where it goes: at 08:20 on a working day that is 08:30 the same day.
  const label = (data) => {
    morning = data.next_working_morning;
    next.textContent = morning ? `⏩ 到上班时间（${short(morning)}）` : "⏩ 下个上班时间";
  };

  async function travel(body) {
    const res = await fetch("/sim/api/clock", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await res.json();
    if (!res.ok) { alert(data.error || "时间调整失败"); return; }
    show(data.now);
    await refresh();
  }

  async function nextMorning() {
    const res = await fetch("/sim/api/clock");
    const data = await res.json();
    if (data.next_working_morning) await travel({ now: data.next_working_morning });
  }

  function button(label, title, onClick) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = label; b.title = title; b.addEventListener("click", onClick);
    return b;
  }

  const bar = document.createElement("span");
  bar.id = "time-travel";
  const date = document.createElement("input");
  date.type = "datetime-local"; date.title = "跳到这个时间（北京时间）";
  const next = button("⏩ 下个上班时间", "跳到下一个工作日的上班时间，途中到期的提醒会依次发出", nextMorning);
  bar.append(
    next,
    button("+1 小时", "时钟前进 1 小时", () => travel({ advance: "PT1H" })),
    button("+1 天", "时钟前进 1 天", () => travel({ advance: "P1D" })),
    date,
    button("跳到", "跳到所选时间（只能向前）", () => date.value && travel({ now: date.value + ":00+08:00" })),
  );
  document.getElementById("clock").after(bar);
  // The header shows the bot's clock (time travel included), read from the bot, not from messages.
  const refresh = () => fetch("/sim/api/clock").then((r) => r.ok && r.json()).then((d) => { if (d) { show(d.now); label(d); } });
  refresh();
  setInterval(refresh, 20000);
})();
