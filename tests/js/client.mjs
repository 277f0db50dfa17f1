// Drives the official socket.io-client against the gateway; prints one JSON line per fact.
// usage: node client.mjs URL TOKEN GUILD PUSHES [websocket|polling]
import { io } from "socket.io-client";

const [url, token, guild, wanted, transport = "websocket"] = process.argv.slice(2);
const print = (kind, value) => console.log(JSON.stringify({ kind, value }));

const socket = io(url, { transports: [transport], reconnection: false });
let received = 0;
for (const event of ["log_pool", "log_other"]) {
  socket.on(event, (data) => {
    print("push", { event, guild_id: data.guild_id, seq: data.seq, private: data.private ?? null });
    received += 1;
    if (received === Number(wanted)) {
      socket.disconnect();
      process.exit(0);
    }
  });
}
socket.on("connect", async () => {
  print("ack", await socket.emitWithAck("spectate", { guild_id: guild }));
  print("ack", await socket.emitWithAck("request_elevation", JSON.stringify({ token })));
  print("ack", await socket.emitWithAck("no_such_event", {}));
  print("ack", await socket.emitWithAck("spectate", { guild_id: guild, include_logs: true }));
  print("ready", true);
});
socket.on("connect_error", (err) => {
  print("connect_error", { message: err.message, data: err.data ?? null });
  process.exit(3);
});
setTimeout(() => { print("timeout", received); process.exit(4); }, 15000);
