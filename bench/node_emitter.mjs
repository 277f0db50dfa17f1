// Emits N log_other events of ~200 bytes to a room through @socket.io/redis-emitter, as fast
// as Redis takes them, or at RATE per second; each carries data.sent_at for latency.
// usage: node node_emitter.mjs REDIS_URL ROOM COUNT [RATE]
import { Emitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";

const [redisUrl, room, count, rate] = process.argv.slice(2);
const client = createClient({ url: redisUrl });
await client.connect();
const emitter = new Emitter(client);
const content = "x".repeat(120);
const started = performance.now();
for (let n = 0; n < Number(count); n++) {
  if (rate) {
    const due = started + (n * 1000) / Number(rate);
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  emitter.to(room).emit("log_other", {
    guild_id: room, epoch: "e", seq: n + 1, id: String(1e17 + n), action: 3001, private: false,
    agent_id: "214037134477230080", subject_id: null, content,
    data: { sent_at: performance.timeOrigin + performance.now() },
    timestamp: new Date().toISOString(),
  });
}
await client.quit();
