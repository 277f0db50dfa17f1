// N socket.io-client consumers over websocket. Prints {"ready": true} once all spectate, then
// one JSON line with receipt timings once every consumer has EVENTS pushes (or on timeout).
// usage: node consumer.mjs URL CLIENTS EVENTS gateway|stock TOKEN GUILD
import { io } from "socket.io-client";

const [url, clientCount, eventCount, mode, token, guild] = process.argv.slice(2);
const clients = Number(clientCount);
const wanted = Number(eventCount);
let ready = 0;
let done = 0;
let received = 0;
let first = null;
let last = null;

function onPush() {
  const now = performance.now();
  if (first === null) first = now;
  last = now;
  received += 1;
}

function finish(timedOut) {
  console.log(JSON.stringify({ received, first_ms: first, last_ms: last, timed_out: timedOut }));
  process.exit(0);
}

for (let i = 0; i < clients; i++) {
  const socket = io(url, { transports: ["websocket"], reconnection: false, forceNew: true,
                           auth: mode === "gateway" ? { token } : undefined });
  let mine = 0;
  socket.on("log_other", () => {
    onPush();
    mine += 1;
    if (mine === wanted && ++done === clients) finish(false);
  });
  socket.on("connect", async () => {
    const ack = mode === "gateway"
      ? await socket.emitWithAck("spectate", { guild_id: guild, include_logs: true })
      : await socket.emitWithAck("join", guild);
    if (!ack.ok) { console.error(JSON.stringify(ack)); process.exit(2); }
    if (++ready === clients) console.log(JSON.stringify({ ready: true }));
  });
  socket.on("connect_error", (err) => { console.error(err.message); process.exit(2); });
}
setTimeout(() => finish(true), 120000);
