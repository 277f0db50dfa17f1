// The front page, on @architus/sdk as a dashboard would use it: a mock Discord channel
// (`interpret`) and a live view of a guild drawn from the client's Redux store alone.
// `/?guild=G#token=T`: the token only ever in the fragment, which the browser never sends, so
// no server or proxy log can hold it (a token in the query string is ignored).
import { ArchitusClient, LogActions, selectLog, selectPoolEntities } from "@architus/sdk";

const query = new URLSearchParams(location.search);
const fragment = new URLSearchParams(location.hash.slice(1));
const token = fragment.get("token");
const guildId = fragment.get("guild") ?? query.get("guild");
const SANDBOX = "1";
const SHOWN = 200; // newest log entries and first members drawn: the store keeps them all
const ACTION_NAMES = Object.fromEntries(
  Object.entries(LogActions).map(([name, number]) => [number, name.toLowerCase()]),
);
const $ = (id) => document.getElementById(id);

const client = new ArchitusClient({
  url: location.origin,
  ...(token ? { token } : {}),
  transports: ["websocket"],
});
// for the browser test (and the curious): the client, its store, and how often it connected
const demo = { client, guildId, connects: 0 };
window.demo = demo;

// ---- the mock Discord ---------------------------------------------------------------------

let nextId = 0;
const bubbles = new Map();

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
  let answer;
  try {
    answer = await client.interpret({ guild_id: SANDBOX, ...request });
  } catch (error) {
    line("gateway", "error", `${error.code ?? ""} ${error.message}`, true);
    return;
  }
  for (const action of answer.actions) {
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

// ---- the store, drawn ---------------------------------------------------------------------

const STATUS_TEXT = {
  connecting: "connecting…",
  connected: "connected",
  reconnecting: "reconnecting…",
  disconnected: "closed",
};

function drawConnection(connection) {
  const refused = connection.status !== "connected" && connection.lastError;
  $("status").textContent = refused
    ? `${STATUS_TEXT[connection.status]} (${connection.lastError})`
    : STATUS_TEXT[connection.status];
  $("status").dataset.status = connection.status;
}

function drawGuildStatus(status) {
  $("bot").textContent = status?.bot ?? "…";
  $("bot").className = status?.bot ?? "";
  $("since").textContent = status?.since
    ? `since ${new Date(status.since).toLocaleTimeString()}`
    : "";
  $("viewers").textContent = status ? String(status.viewers) : "…";
}

function drawMembers(members) {
  $("members").replaceChildren(
    ...members.slice(0, SHOWN).map((member) => {
      const item = document.createElement("li");
      item.dataset.id = member.id;
      item.textContent = member.nick ? `${member.nick} (${member.name})` : member.name;
      return item;
    }),
  );
  $("member-count").textContent = `(${members.length})`;
}

function drawLog(entries) {
  $("logs").replaceChildren(
    ...entries.slice(-SHOWN).map((entry) => {
      const item = document.createElement("li");
      item.className = entry.private ? "private" : "public";
      item.dataset.id = entry.id;
      item.dataset.seq = String(entry.seq);
      const name = ACTION_NAMES[entry.action] ?? `action ${entry.action}`;
      item.textContent = `#${entry.seq} ${name}${entry.private ? " 🔒" : ""} ${entry.content ?? ""}`;
      return item;
    }),
  );
  $("logs").lastElementChild?.scrollIntoView({ block: "nearest" });
}

// Each part is drawn again only when its slice of the state changed (Redux keeps unchanged
// slices the same objects), so a log push does not redraw the members.
let drawn = {};
function draw() {
  const state = client.store.getState();
  const { architus } = state;
  const parts = {
    connection: architus.connection,
    status: guildId ? architus.guildStatus[guildId] : undefined,
    members: guildId ? architus.pools.member?.[guildId] : undefined,
    guilds: architus.pools.guild,
    log: guildId ? architus.logs[guildId] : undefined,
  };
  if (parts.connection !== drawn.connection) {
    if (parts.connection.status === "connected" && drawn.connection?.status !== "connected") {
      demo.connects += 1;
    }
    drawConnection(parts.connection);
  }
  if (guildId) {
    if (parts.status !== drawn.status) drawGuildStatus(parts.status);
    if (parts.members !== drawn.members) drawMembers(selectPoolEntities(state, "member", guildId));
    if (parts.log !== drawn.log) drawLog(selectLog(state, guildId));
    if (parts.guilds !== drawn.guilds) {
      const guild = selectPoolEntities(state, "guild").find((g) => g.id === guildId);
      if (guild) $("guild-name").textContent = guild.name;
    }
  }
  drawn = parts;
}
client.store.subscribe(draw);

// ---- connect and watch --------------------------------------------------------------------

async function watchGuild() {
  $("guild-hint").hidden = true;
  $("guild-view").hidden = false;
  // spectate first: member pushes that arrive while the pool loads are applied after it
  await client.spectate(guildId, { includeLogs: true });
  await client.pool("guild", null, { ids: [guildId] });
  await client.loadPool("member", guildId);
}

async function start() {
  try {
    await client.connect();
  } catch {
    return; // the store's connection.lastError says why, in #status
  }
  if (!token || !guildId) return;
  try {
    await watchGuild();
  } catch (error) {
    $("guild-name").textContent = error.message;
  }
}
// From here on the client reconnects, resumes and reloads by itself; the page only draws.
start();
