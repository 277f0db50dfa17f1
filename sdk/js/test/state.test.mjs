// architusReducer alone (no gateway): the cases a live run rarely shows — a log past its
// capacity, an entry out of order, a new history, deletes, pools never loaded, the load's
// watermark, a reset after a resume that did not recover.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  architusActions,
  architusReducer,
  guildLeft,
  guildStatusPushed,
  logOtherPushed,
  logPoolPushed,
  spectateResetPushed,
} from "../dist/index.js";

const G = "900000000000000001";
const entry = (seq, epoch = "a") => ({
  id: String(500000000000000000n + BigInt(seq)) + epoch,
  action: 3001,
  private: false,
  agent_id: null,
  subject_id: null,
  content: "x",
  data: {},
  timestamp: "2026-01-01T00:00:00Z",
  guild_id: G,
  epoch,
  seq,
});
const member = (id, nick = null) => ({
  id,
  name: `m${id}`,
  nick,
  avatar: null,
  roles: [],
  color: 0,
  joined_at: null,
});
const push = (seq, op, data, type = "member") => ({
  guild_id: G,
  epoch: "a",
  seq,
  timestamp: "t",
  type,
  op,
  data,
});
const run = (actions, state = undefined) => actions.reduce(architusReducer, state);
const seqs = (state) => state.logs[G].ids.map((id) => state.logs[G].entities[id].seq);

test("[log-order] the log keeps the newest `capacity`, in seq order, each entry once", () => {
  const pushed = (seq, epoch) => logOtherPushed(entry(seq, epoch), { capacity: 5 });
  let state = run([1, 2, 3, 4, 5, 6, 7, 7, 6].map((seq) => pushed(seq)));
  assert.deepEqual(seqs(state), [3, 4, 5, 6, 7]);
  state = run([pushed(9), pushed(8)], state); // out of order: put in its place
  assert.deepEqual(seqs(state), [5, 6, 7, 8, 9]);
  state = run([pushed(1, "b")], state); // a new history: the old one goes
  assert.deepEqual(seqs(state), [1]);
  assert.equal(state.spectate.logs_seq, 0, "not spectating: the position does not move");
});

test("[merge-pushes watermark] pushes merge into loaded pools only; the load applies what its pages do not reflect", () => {
  let state = run([
    architusActions.spectate.started({
      ack: { guild_id: G, epoch: "a", pool_seq: 10, logs_seq: 0 },
      includeLogs: false,
    }),
    logPoolPushed(push(11, "upsert", [member("1")])),
  ]);
  assert.equal(state.pools.member, undefined, "no pool made of pushes alone");
  assert.equal(state.spectate.pool_seq, 11);
  state = run(
    [
      architusActions.pools.loaded({
        type: "member",
        guildId: G,
        replace: true,
        entities: [member("1", "page"), member("2"), member("3")],
        pending: [push(12, "upsert", [member("2", "later")]), push(13, "delete", ["3"])],
      }),
      logPoolPushed(push(14, "upsert", [{ id: "1", nick: "merged" }])),
      logPoolPushed(push(15, "upsert", [member("4")])),
      logPoolPushed(push(16, "delete", ["2", "99"])),
    ],
    state,
  );
  const pool = state.pools.member[G];
  assert.deepEqual(pool.ids, ["1", "4"]);
  assert.deepEqual(pool.entities["1"], { ...member("1", "merged") });
  assert.equal(state.spectate.pool_seq, 16);
  state = run(
    [logPoolPushed(push(17, "upsert", [{ key: "prefix", value: "!" }], "setting"))],
    state,
  );
  assert.equal(state.pools.setting, undefined);
});

test("[spectate-reset lost-history-log] a reset keeps only what follows the ack; spectate_reset forgets the guild", () => {
  let state = run([
    architusActions.spectate.started({
      ack: { guild_id: G, epoch: "a", pool_seq: 0, logs_seq: 0 },
      includeLogs: true,
    }),
    ...[1, 2, 3, 4].map((seq) => logOtherPushed(entry(seq), { capacity: 100 })),
    architusActions.pools.loaded({
      type: "member",
      guildId: G,
      replace: true,
      entities: [member("1")],
      pending: [],
    }),
    architusActions.pools.loaded({
      type: "guild",
      guildId: null,
      replace: true,
      entities: [{ id: G }],
      pending: [],
    }),
  ]);
  state = run([architusActions.logs.reset({ guildId: G, epoch: "a", after: 2 })], state);
  assert.deepEqual(seqs(state), [3, 4]);
  state = run([spectateResetPushed({ guild_id: G, reason: "permissions_changed" })], state);
  assert.equal(state.logs[G], undefined);
  assert.equal(state.pools.member[G], undefined);
  assert.deepEqual(state.pools.guild["*"].ids, [G], "the token's guilds are not the guild's");
  assert.equal(state.spectate.guild_id, null);
});

test("[leave-guild] leaving a guild for another forgets what would go stale", () => {
  const other = "900000000000000002";
  let state = run([
    architusActions.spectate.started({
      ack: { guild_id: G, epoch: "a", pool_seq: 0, logs_seq: 0 },
      includeLogs: true,
    }),
    logOtherPushed(entry(1), { capacity: 10 }),
    guildStatusPushed({ guild_id: G, bot: "online", since: null, viewers: 1 }),
    architusActions.pools.loaded({
      type: "member",
      guildId: G,
      replace: true,
      entities: [member("1")],
      pending: [],
    }),
    architusActions.pools.loaded({
      type: "member",
      guildId: other,
      replace: true,
      entities: [member("2")],
      pending: [],
    }),
  ]);
  state = run(
    [
      guildLeft(G),
      architusActions.spectate.started({
        ack: { guild_id: other, epoch: "b", pool_seq: 3, logs_seq: 4 },
        includeLogs: false,
      }),
    ],
    state,
  );
  assert.equal(state.logs[G], undefined);
  assert.equal(state.guildStatus[G], undefined);
  assert.deepEqual(Object.keys(state.pools.member), [other]);
  assert.deepEqual(state.spectate, {
    guild_id: other,
    epoch: "b",
    pool_seq: 3,
    logs_seq: 4,
    include_logs: false,
  });
});

test("[setting-key] the setting pool is keyed by `key`, its pushes too", () => {
  let state = run([
    architusActions.pools.loaded({
      type: "setting",
      guildId: G,
      replace: true,
      entities: [{ key: "prefix", value: "!", id: "x" }],
      pending: [],
    }),
    logPoolPushed(
      push(
        1,
        "upsert",
        [
          { key: "prefix", value: "?" },
          { key: "limit", value: 5 },
        ],
        "setting",
      ),
    ),
  ]);
  assert.deepEqual(state.pools.setting[G].ids, ["prefix", "limit"]);
  assert.deepEqual(state.pools.setting[G].entities.prefix, { key: "prefix", value: "?", id: "x" });
  state = run([logPoolPushed(push(2, "delete", ["prefix"], "setting"))], state);
  assert.deepEqual(state.pools.setting[G].ids, ["limit"]);
  state = run(
    [
      architusActions.pools.loaded({
        type: "member",
        guildId: G,
        replace: true,
        entities: [{ ...member("5"), key: "k" }],
        pending: [],
      }),
    ],
    state,
  );
  assert.deepEqual(state.pools.member[G].ids, ["5"]);
});
