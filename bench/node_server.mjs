// The reference: Node socket.io 4.8 with its Redis adapter, as a Node team would deploy it.
// Clients join a room with `join` (acked); events arrive from another process through
// @socket.io/redis-emitter. `request_elevation` does what the gateway's does, the Node way:
// verify the HS256 JWT (jsonwebtoken, `exp` required; the secret made a KeyObject once: given
// the string, jsonwebtoken 9 first tries it as a PEM public key on every verify, which held
// verification to ~1,300 a second), keep its claims on the socket, join
// `<id>_auth`, arm the expiry. `spectate` ({guild_id, include_logs}) needs the elevation and
// the guild in the token's `guilds`; it leaves the previous guild's rooms and joins
// `guild:<id>` (and `guild:<id>:logs` with include_logs), the gateway's rooms.
// usage: node node_server.mjs PORT REDIS_URL [JWT_SECRET]
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import jwt from "jsonwebtoken";
import { createSecretKey } from "node:crypto";

const [port, redisUrl, secret = "bench-secret-" + "b".repeat(32)] = process.argv.slice(2);
const key = createSecretKey(Buffer.from(secret));
const pub = createClient({ url: redisUrl });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);
const io = new Server({ adapter: createAdapter(pub, sub), perMessageDeflate: false,
                        cors: { origin: false } });

function refuse(ack, code, reason, message) {
  ack({ ok: false, error: { code, reason, message } });
}

io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack({ ok: true });
  });
  let expiry = null;
  let spectating = [];
  const stopSpectating = () => {
    for (const room of spectating) socket.leave(room);
    spectating = [];
  };
  socket.on("request_elevation", (request, ack) => {
    let claims;
    try {
      claims = jwt.verify(request?.token, key, { algorithms: ["HS256"] });
      if (typeof claims.exp !== "number") throw new Error("exp required");
    } catch (error) {
      refuse(ack, 401, "invalid_token", error.message);
      return;
    }
    socket.data.claims = claims;
    socket.join(`${socket.id}_auth`);
    clearTimeout(expiry);
    expiry = setTimeout(() => {
      socket.data.claims = null;
      stopSpectating();
      socket.leave(`${socket.id}_auth`);
    }, claims.exp * 1000 - Date.now());
    ack({ ok: true, data: { user_id: claims.sub, expires_at: claims.exp } });
  });
  socket.on("spectate", (request, ack) => {
    const claims = socket.data.claims;
    if (!claims) return refuse(ack, 401, "unauthenticated", "request elevation first");
    const guild = request?.guild_id;
    if (typeof guild !== "string" || !(guild in (claims.guilds ?? {}))) {
      return refuse(ack, 403, "forbidden", `guild ${guild} is not in your token`);
    }
    stopSpectating();
    spectating = request.include_logs ? [`guild:${guild}`, `guild:${guild}:logs`]
                                      : [`guild:${guild}`];
    socket.join(spectating);
    ack({ ok: true, data: { guild_id: guild } });
  });
  socket.on("disconnect", () => clearTimeout(expiry));
});
io.listen(Number(port));
console.log(JSON.stringify({ listening: Number(port) }));
