// The reference: Node socket.io 4.8 with its Redis adapter, as a Node team would deploy it.
// Clients join a room with `join` (acked); events arrive from another process through
// @socket.io/redis-emitter. `request_elevation` does what the gateway's does, the Node way:
// verify the HS256 JWT (jsonwebtoken, `exp` required), join `<id>_auth`, arm the expiry.
// usage: node node_server.mjs PORT REDIS_URL [JWT_SECRET]
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import jwt from "jsonwebtoken";

const [port, redisUrl, secret = "bench-secret-" + "b".repeat(32)] = process.argv.slice(2);
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
  let expiry = null;
  socket.on("request_elevation", (request, ack) => {
    let claims;
    try {
      claims = jwt.verify(request?.token, secret, { algorithms: ["HS256"] });
      if (typeof claims.exp !== "number") throw new Error("exp required");
    } catch (error) {
      ack({ ok: false, error: { code: 401, reason: "invalid_token", message: error.message } });
      return;
    }
    socket.join(`${socket.id}_auth`);
    clearTimeout(expiry);
    expiry = setTimeout(() => socket.leave(`${socket.id}_auth`), claims.exp * 1000 - Date.now());
    ack({ ok: true, data: { user_id: claims.sub, expires_at: claims.exp } });
  });
  socket.on("disconnect", () => clearTimeout(expiry));
});
io.listen(Number(port));
console.log(JSON.stringify({ listening: Number(port) }));
