// The Node side of tests/sdk_js: the gateway nodes, the publisher and the truth are pytest's
// (tests/sdk_js/harness.py), reached through its control API; these helpers call it and wait
// on conditions with a deadline.
import assert from "node:assert/strict";
import { ArchitusClient } from "../dist/index.js";

export const CONTROL = required("ARCHITUS_CONTROL");
export const URLS = required("ARCHITUS_URLS").split(",");
export const GUILD = required("ARCHITUS_GUILD");
/** VIEW_PUBLIC_LOGS | VIEW_PRIVATE_LOGS | REVERT_LOG_ACTIONS | VIEW_SETTINGS: every entry, no gaps */
export const EVERYTHING = 0x107;
export const MIRRORED = ["member", "role", "channel", "emoji", "auto_response", "setting"];

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through tests/sdk_js (pytest)`);
  return value;
}

export async function control(path, body = {}, method = "POST") {
  const response = await fetch(CONTROL + path, {
    method,
    headers: { "content-type": "application/json" },
    body: method === "GET" ? undefined : JSON.stringify(body),
  });
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return response.json();
}

export async function mint(guilds = { [GUILD]: EVERYTHING }, ttl = 3600, user = "1001") {
  return (await control("/token", { user, guilds, ttl })).token;
}

export const truth = () => control("/truth", {}, "GET");

/** Resolve once `check()` is true; fail with `what` (and the last value) after `ms`. */
export async function eventually(check, what, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The store caught up with the bus: both streams at the truth's seqs. */
export async function caughtUp(client, expected, ms = 20_000) {
  await eventually(
    () =>
      client.state.spectate.pool_seq === expected.pool_seq &&
      client.state.spectate.logs_seq === expected.logs_seq,
    () =>
      `store at ${JSON.stringify(client.state.spectate)}, bus at ${expected.pool_seq}/${expected.logs_seq}`,
    ms,
  );
}

/** Every pool of the guild in the store equals the mirror's, entity by entity, field by field. */
export function assertPoolsEqual(state, expected) {
  for (const type of MIRRORED) {
    const pool = state.pools[type]?.[GUILD];
    assert.ok(pool, `${type} pool loaded`);
    const want = expected.pools[type];
    assert.deepEqual([...pool.ids].sort(), Object.keys(want).sort(), `${type}: the same entities`);
    for (const id of pool.ids) assert.deepEqual(pool.entities[id], want[id], `${type} ${id}`);
  }
}

/** Every log entry once, in seq order, none missing from the first to the bus's last. */
export function assertLogComplete(state, expected) {
  const log = state.logs[GUILD];
  assert.ok(log, "log kept");
  const seqs = log.ids.map((id) => log.entities[id].seq);
  assert.ok(seqs.length > 0, "entries arrived");
  const first = seqs[0];
  assert.deepEqual(
    seqs,
    Array.from({ length: expected.logs_seq - first + 1 }, (_, i) => first + i),
  );
  assert.equal(new Set(log.ids).size, log.ids.length);
}

/** A client of the first node (options override) that keeps every log entry, over websocket:
 * what the tests that compare the store with the truth start from. */
export async function truthClient(options = {}) {
  return new ArchitusClient({
    url: URLS[0],
    token: await mint(),
    transports: ["websocket"],
    logCapacity: 100_000,
    ...options,
  });
}
