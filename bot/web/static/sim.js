// The simulator page: pick a room and a persona, talk, watch the bot answer live.
// Every chat text is inserted with textContent: messages come from people and are never HTML.
"use strict";
const $ = (id) => document.getElementById(id);
const ROLE_NAMES = { enterprise: "企业", handler: "部门", leader: "领导", coordinator: "协调员" };
const state = { room: null, persona: null, members: [], sockets: {}, seen: {}, oldest: {} };
const NEWEST = 2 ** 53;  // "before" this id: the newest messages
// Private chats need the admin token: `make run` prints the page's address with #token=… .
const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromHash) { sessionStorage.setItem("zhuqi-token", fromHash); history.replaceState(null, "", location.pathname); }
const TOKEN = sessionStorage.getItem("zhuqi-token") || "";
const isPrivate = (roomId) => roomId.startsWith("dm:");

async function getJSON(url, options) {
  const response = await fetch(url, options);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function renderText(container, text) {
  // Highlight @name for known members (names may be followed directly by punctuation), and never
  // interpret the text as HTML.
  const names = state.members.map((m) => m.name).concat(["助企小助手"]).sort((a, b) => b.length - a.length);
  let plain = "";
  const flush = () => { if (plain) container.appendChild(document.createTextNode(plain)); plain = ""; };
  for (let i = 0; i < text.length; ) {
    const name = text[i] === "@" ? names.find((n) => text.startsWith(n, i + 1)) : undefined;
    if (name) {
      flush();
      const span = document.createElement("span");
      span.className = "mention";
      span.textContent = "@" + name;
      container.appendChild(span);
      i += name.length + 1;
    } else {
      plain += text[i];
      i += 1;
    }
  }
  flush();
}

function messageItem(m) {
  const li = document.createElement("li");
  li.dataset.id = m.id;
  li.dataset.sender = m.sender_id;  // the persona may change: "mine" is worked out again then
  if (m.sender_id === state.persona) li.classList.add("mine");
  if (!state.members.some((x) => x.id === m.sender_id)) li.classList.add("bot");
  const meta = document.createElement("div");
  meta.className = "meta";
  const at = new Date(m.at);
  meta.textContent = `${m.sender_name} · ${at.toLocaleString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" })}`;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  renderText(bubble, m.text);
  li.append(meta, bubble);
  return li;
}

function show(list, m) {
  // New messages go to the bottom (the header clock is the bot's own, see clock.js).
  const seen = state.seen[list.id];
  if (seen.has(m.id)) return;
  seen.add(m.id);
  // Another bot process's rows can arrive a moment after newer ones of this one: keep id order.
  let next = null;
  for (let li = list.lastElementChild; li && Number(li.dataset.id) > m.id; li = li.previousElementSibling) next = li;
  list.insertBefore(messageItem(m), next);
  list.scrollTop = list.scrollHeight;
}

async function loadOlder(list, roomId, headers) {
  // Older messages go on top, and what the reader was looking at stays where it was.
  const before = state.oldest[list.id] ?? NEWEST;
  const body = await getJSON(`/sim/api/messages?room_id=${encodeURIComponent(roomId)}&before=${before}`, { headers });
  const fresh = body.messages.filter((m) => !state.seen[list.id].has(m.id));
  if (!fresh.length) return;
  const height = list.scrollHeight;
  list.prepend(...fresh.map((m) => { state.seen[list.id].add(m.id); return messageItem(m); }));
  state.oldest[list.id] = fresh[0].id;
  list.scrollTop = before === NEWEST ? list.scrollHeight : list.scrollHeight - height;
}

function follow(roomId, list) {
  for (const [key, ws] of Object.entries(state.sockets)) {
    if (key.startsWith(list.id + "|")) { ws.close(); delete state.sockets[key]; }
  }
  list.replaceChildren();
  state.seen[list.id] = new Set();
  delete state.oldest[list.id];
  const proto = location.protocol === "https:" ? "wss" : "ws";
  if (isPrivate(roomId) && !TOKEN) {
    const note = document.createElement("li");
    note.className = "hint";
    note.textContent = "私信需要管理口令：请打开启动时打印的带 #token= 的地址。";
    list.appendChild(note);
    return;
  }
  const auth = isPrivate(roomId) ? `&token=${encodeURIComponent(TOKEN)}` : "";
  const headers = isPrivate(roomId) ? { Authorization: `Bearer ${TOKEN}` } : {};
  const ws = new WebSocket(`${proto}://${location.host}/sim/ws?room_id=${encodeURIComponent(roomId)}${auth}`);
  ws.onmessage = (event) => show(list, JSON.parse(event.data));
  ws.onopen = () => loadOlder(list, roomId, headers);
  list.onscroll = () => { if (list.scrollTop < 40) loadOlder(list, roomId, headers); };
  ws.onclose = () => setTimeout(() => { if (state.sockets[list.id + "|" + roomId] === ws) follow(roomId, list); }, 2000);
  state.sockets[list.id + "|" + roomId] = ws;
}

async function chooseRoom(roomId, roomName) {
  state.room = roomId;
  $("room-name").textContent = roomName;
  state.members = await getJSON(`/sim/api/members?room_id=${encodeURIComponent(roomId)}`);
  const select = $("persona");
  select.replaceChildren();
  for (const role of ["enterprise", "handler", "leader", "coordinator"]) {
    const group = document.createElement("optgroup");
    group.label = ROLE_NAMES[role];
    for (const m of state.members.filter((x) => x.role === role)) {
      const option = document.createElement("option");
      option.value = m.id;
      option.textContent = m.name;
      group.appendChild(option);
    }
    if (group.children.length) select.appendChild(group);
  }
  const saved = localStorage.getItem("zhuqi-persona");
  if (saved && state.members.some((m) => m.id === saved)) select.value = saved;
  choosePersona(select.value);
  follow(roomId, $("messages"));
}

function choosePersona(id) {
  state.persona = id;
  localStorage.setItem("zhuqi-persona", id);
  const m = state.members.find((x) => x.id === id);
  $("who").textContent = m ? `${ROLE_NAMES[m.role]}${m.department ? "｜" + m.department : ""}${m.enterprise ? "｜" + m.enterprise : ""}` : "";
  follow("dm:" + id, $("dm"));
  document.querySelectorAll("#messages li").forEach((li) => li.classList.toggle("mine", li.dataset.sender === id));
}

async function post(roomId, text, headers) {
  return getJSON("/sim/api/messages", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ room_id: roomId, sender_id: state.persona, text }),
  });
}

function sender(input, roomId, headers) {
  // The group's composer, or the private chat's (a reply to the bot that only it sees).
  return async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    try {
      await post(roomId(), text, headers());
    } catch (error) {
      alert("发送失败：" + error.message);
      input.value = text;
    }
  };
}

const send = sender($("text"), () => state.room, () => ({}));
const sendPrivately = sender($("dm-text"), () => "dm:" + state.persona, () => ({ Authorization: `Bearer ${TOKEN}` }));

async function start() {
  const rooms = await getJSON("/sim/api/rooms");
  for (const r of rooms) {
    const option = document.createElement("option");
    option.value = r.id;
    option.textContent = r.name;
    $("room").appendChild(option);
  }
  $("room").onchange = () => chooseRoom($("room").value, $("room").selectedOptions[0].textContent);
  $("persona").onchange = () => choosePersona($("persona").value);
  $("composer").onsubmit = send;
  $("dm-composer").onsubmit = sendPrivately;
  $("dm-composer").hidden = !TOKEN;
  $("text").onkeydown = (e) => { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) send(e); };
  if (rooms.length) await chooseRoom(rooms[0].id, rooms[0].name);
}

start();
