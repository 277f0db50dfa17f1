// Connection load from socket.io-client over websocket, for bench/connections.py.
//   node connections.mjs idle URL COUNT TOKEN GUILD
//     opens COUNT sockets (200 at a time in flight), each of which sends request_elevation
//     with TOKEN and then spectates GUILD (`include_logs`), both acked ok; prints
//     {"ready": COUNT} once all are spectating and holds them until stdin closes. Any refusal
//     or failed connect: the reason on stderr, exit 2.
//   node connections.mjs elevate URL CLIENTS SECONDS TOKEN
//     opens CLIENTS sockets and prints {"started": CLIENTS}; then each sends request_elevation
//     back to back (the next once the last is acked) for SECONDS; prints
//     {"acked": N, "refused": N, "seconds": S}.
import { io } from "socket.io-client";

const [mode, url, ...rest] = process.argv.slice(2);

function open() {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ["websocket"], reconnection: false, forceNew: true });
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

function fail(message) {
  console.error(message);
  process.exit(2);
}

async function openMany(count, prepare = async () => {}) {
  const sockets = [];
  for (let start = 0; start < count; start += 200) {
    const batch = Math.min(200, count - start);
    sockets.push(...(await Promise.all(Array.from({ length: batch }, async () => {
      const socket = await open();
      await prepare(socket);
      return socket;
    }))));
  }
  return sockets;
}

if (mode === "idle") {
  const [count, token, guild] = rest;
  const sockets = await openMany(Number(count), async (socket) => {
    const elevated = await socket.emitWithAck("request_elevation", { token });
    if (!elevated.ok) fail(`request_elevation refused: ${JSON.stringify(elevated)}`);
    const spectating = await socket.emitWithAck("spectate",
                                                { guild_id: guild, include_logs: true });
    if (!spectating.ok) fail(`spectate refused: ${JSON.stringify(spectating)}`);
    socket.on("disconnect", (reason) => fail(`a held socket was disconnected: ${reason}`));
  }).catch((error) => fail(`connect failed: ${error.message}`));
  console.log(JSON.stringify({ ready: sockets.length }));
  process.stdin.on("data", () => {});
  process.stdin.on("end", () => process.exit(0));
} else if (mode === "elevate") {
  const [clients, seconds, token] = rest;
  const sockets = await openMany(Number(clients));
  console.log(JSON.stringify({ started: sockets.length }));
  let acked = 0;
  let refused = 0;
  const started = performance.now();
  const deadline = started + Number(seconds) * 1000;
  await Promise.all(sockets.map(async (socket) => {
    while (performance.now() < deadline) {
      const ack = await socket.emitWithAck("request_elevation", { token });
      if (ack.ok) acked += 1; else refused += 1;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ acked, refused, seconds: elapsed }));
  process.exit(0);
} else {
  fail(`unknown mode ${mode}`);
}
