// The front page: a mock Discord channel (interpret) and a live view of a guild.
// `/?guild=G#token=T`: the token only ever in the fragment, which the browser never sends, so
// no server or proxy log can hold it (a token in the query string is ignored).
const query = new URLSearchParams(location.search);
const fragment = new URLSearchParams(location.hash.slice(1));
const token = fragment.get("token");
const guildId = fragment.get("guild") ?? query.get("guild");
const SANDBOX = "1";
const $ = (id) => document.getElementById(id);
const socket = io({ transports: ["websocket"], auth: token ? { token } : undefined });
let nextId = 0;
const bubbles = new Map();

socket.on("connect", async () => {
  $("status").textContent = "connected";
  if (token && guildId) await watchGuild();
});
socket.on("disconnect", () => { $("status").textContent = "reconnecting…"; });
socket.on("connect_error", (err) => { $("status").textContent = `refused: ${err.message}`; });

function line(author, id, content, bot) {
  const item = document.createElement("li");
  item.className = bot ? "bot" : "visitor";
  item.dataset.id = id;
  item.innerHTML = `<span class="author"></span><span class="content"></span><div class="reactions"></div>`;
  item.querySelector(".author").textContent = author;
  item.querySelector(".content").textContent = content ?? "";
  $("messages").append(item);
  item.scrollIntoView();
  bubbles.set(id, item);
  return item;
}

function react(id, emoji) {
  const bubble = bubbles.get(id);
  if (!bubble) return;
  const chip = document.createElement("span");
  chip.className = "reaction";
  chip.textContent = emoji;
  chip.addEventListener("click", () => interpret({ action: "react", message_id: id, emoji }));
  bubble.querySelector(".reactions").append(chip);
}

async function interpret(request) {
  const ack = await socket.emitWithAck("interpret", { guild_id: SANDBOX, ...request });
  if (!ack.ok) { line("gateway", "error", `${ack.error.code} ${ack.error.message}`, true); return; }
  for (const action of ack.data.actions) {
    if (action.action === "send") line("architus", action.message_id, action.content, true);
    else if (action.action === "react") react(action.message_id, action.emoji);
    else if (action.action === "edit") {
      const bubble = bubbles.get(action.message_id);
      if (bubble) bubble.querySelector(".content").textContent = action.content;
    }
  }
}

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const content = $("say").value.trim();
  if (!content) return;
  $("say").value = "";
  nextId += 2;
  const id = String(nextId);
  line("you", id, content, false);
  await interpret({ action: "send", message_id: id, content });
});

const members = new Map();
function renderMembers() {
  const list = $("members");
  list.replaceChildren(...[...members.values()].slice(0, 200).map((member) => {
    const item = document.createElement("li");
    item.textContent = member.nick ? `${member.nick} (${member.name})` : member.name;
    return item;
  }));
  $("member-count").textContent = `(${members.size})`;
}

function logLine(entry) {
  const item = document.createElement("li");
  item.className = entry.private ? "private" : "public";
  const label = entry.private ? "🔒 private" : "";
  item.textContent = `#${entry.seq} action ${entry.action} ${label} ${entry.content ?? ""}`;
  $("logs").prepend(item);
  while ($("logs").children.length > 200) $("logs").lastChild.remove();
}

async function watchGuild() {
  $("guild-hint").hidden = true;
  const ack = await socket.emitWithAck("spectate", { guild_id: guildId, include_logs: true });
  if (!ack.ok) { $("guild-name").textContent = ack.error.message; return; }
  const guilds = await socket.emitWithAck("pool", { type: "guild", ids: [guildId] });
  if (guilds.ok && guilds.data.data.length) $("guild-name").textContent = guilds.data.data[0].name;
  let after = null;
  do {
    const page = await socket.emitWithAck("pool", { type: "member", guild_id: guildId, all: true,
                                                      limit: 1000, ...(after ? { after } : {}) });
    if (!page.ok) break;
    for (const member of page.data.data) members.set(member.id, member);
    after = page.data.next;
  } while (after);
  renderMembers();
}

socket.on("log_pool", (push) => {
  if (push.type !== "member") return;
  if (push.op === "upsert") for (const m of push.data) members.set(m.id, { ...members.get(m.id), ...m });
  else for (const id of push.data) members.delete(id);
  renderMembers();
});
socket.on("log_other", logLine);
