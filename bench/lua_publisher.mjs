// Publishes through the gateway bus's own Lua script from Node (node-redis), 32 calls in
// flight: the same Redis work per event as bot_bridge.Publisher, at the cost of a Node
// client, as the reference's @socket.io/redis-emitter is. Reads one JSON object on stdin:
// {"script": LUA, "calls": [[keys, args], ...]} (bench/publish.py --node builds it).
// usage: node lua_publisher.mjs REDIS_URL < calls.json
import { createClient } from "redis";

const [redisUrl] = process.argv.slice(2);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { script, calls } = JSON.parse(input);
const client = createClient({ url: redisUrl });
await client.connect();
const sha = await client.scriptLoad(script);
const started = performance.now();
for (let start = 0; start < calls.length; start += 32) {
  await Promise.all(calls.slice(start, start + 32).map(([keys, args]) =>
    client.evalSha(sha, { keys, arguments: args.map(String) })));
}
const seconds = (performance.now() - started) / 1000;
console.error(`published ${calls.length} events in ${seconds.toFixed(2)} s: ` +
              `${Math.round(calls.length / seconds)}/s (Node client, the bus's Lua script)`);
await client.quit();
