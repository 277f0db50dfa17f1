// The reference: Node socket.io 4.8 with its Redis adapter, as a Node team would deploy it.
// Clients join a room with `join` (acked); events arrive from another process through
// @socket.io/redis-emitter. usage: node node_server.mjs PORT REDIS_URL
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";

const [port, redisUrl] = process.argv.slice(2);
const pub = createClient({ url: redisUrl });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);
const io = new Server({ adapter: createAdapter(pub, sub), perMessageDeflate: false,
                        cors: { origin: false } });
io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack({ ok: true });
  });
});
io.listen(Number(port));
console.log(JSON.stringify({ listening: Number(port) }));
