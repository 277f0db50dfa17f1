// Connection load from socket.io-client over websocket, for bench/connections.py.
//   node connections.mjs idle URL COUNT
//     opens COUNT sockets (200 handshakes in flight at a time), prints {"ready": COUNT} and
//     holds them until stdin closes.
//   node connections.mjs elevate URL CLIENTS SECONDS TOKEN
//     CLIENTS sockets each send request_elevation back to back (the next once the last is
//     acked) for SECONDS; prints {"acked": N, "refused": N, "seconds": S}.
import { io } from "socket.io-client";

const [mode, url, ...rest] = process.argv.slice(2);

function open() {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ["websocket"], reconnection: false, forceNew: true });
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

async function openMany(count) {
  const sockets = [];
  for (let start = 0; start < count; start += 200) {
    const batch = Math.min(200, count - start);
    sockets.push(...(await Promise.all(Array.from({ length: batch }, open))));
  }
  return sockets;
}

if (mode === "idle") {
  const sockets = await openMany(Number(rest[0]));
  console.log(JSON.stringify({ ready: sockets.length }));
  process.stdin.on("data", () => {});
  process.stdin.on("end", () => process.exit(0));
} else if (mode === "elevate") {
  const [clients, seconds, token] = rest;
  const sockets = await openMany(Number(clients));
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
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
