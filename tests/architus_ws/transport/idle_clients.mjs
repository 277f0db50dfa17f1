// Idle connection load for idle_memory.py.
//   node idle_clients.mjs engineio|socketio URL COUNT
// opens COUNT websockets (200 handshakes in flight at a time), answers pings, prints
// {"ready": COUNT} and holds them until stdin closes. `engineio`: raw Engine.IO over `ws`;
// `socketio`: socket.io-client, connected to the main namespace.
import { createRequire } from "module";

const require = createRequire(new URL("../../js/package.json", import.meta.url));
const [mode, url, count] = process.argv.slice(2);

function openEngineIO() {
  const WebSocket = require("ws");
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace("http", "ws")}/engine.io/?EIO=4&transport=websocket`);
    socket.on("message", (data) => {
      const text = data.toString();
      if (text[0] === "0") resolve(socket);
      else if (text === "2") socket.send("3");
    });
    socket.on("error", reject);
  });
}

function openSocketIO() {
  const { io } = require("socket.io-client");
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ["websocket"], reconnection: false, forceNew: true });
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

const open = mode === "engineio" ? openEngineIO : openSocketIO;
const sockets = [];
for (let start = 0; start < Number(count); start += 200) {
  const batch = Math.min(200, Number(count) - start);
  sockets.push(...(await Promise.all(Array.from({ length: batch }, open))));
}
console.log(JSON.stringify({ ready: sockets.length }));
process.stdin.on("data", () => {});
process.stdin.on("end", () => process.exit(0));
