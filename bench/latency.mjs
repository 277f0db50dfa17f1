// N socket.io-client spectators; each push carries data.sent_at (ms since the epoch, taken
// by the publisher just before its publish call). Prints {"ready": true} once all spectate,
// then, when stdin closes, one JSON line of latency percentiles.
// usage: node latency.mjs URL CLIENTS TOKEN GUILD [spectate|join]
// (`join` for the Node reference server, whose clients join a room named after the guild)
import { io } from "socket.io-client";

const [url, clientCount, token, guild, mode = "spectate"] = process.argv.slice(2);
const clients = Number(clientCount);
const latencies = [];
let ready = 0;
for (let i = 0; i < clients; i++) {
  const socket = io(url, { transports: ["websocket"], reconnection: false, forceNew: true,
                           auth: { token } });
  socket.on("log_other", (entry) => {
    latencies.push(performance.timeOrigin + performance.now() - entry.data.sent_at);
  });
  socket.on("connect", async () => {
    const ack = mode === "join"
      ? await socket.emitWithAck("join", guild)
      : await socket.emitWithAck("spectate", { guild_id: guild, include_logs: true });
    if (!ack.ok) { console.error(JSON.stringify(ack)); process.exit(2); }
    if (++ready === clients) console.log(JSON.stringify({ ready: true }));
  });
}
process.stdin.on("data", () => {});
process.stdin.on("end", () => {
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  console.log(JSON.stringify({ count: latencies.length, p50: at(0.5), p99: at(0.99),
                               max: latencies[latencies.length - 1] }));
  process.exit(0);
});
