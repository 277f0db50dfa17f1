// The store's cost per `log_pool` push with a pool of 1,000 members: the time `dispatch` takes
// for one pushed member change (reducers, spectate position, the pool's entity state), as the
// client dispatches it. Run after `npm run build`: `node bench/log_pool.mjs [members] [pushes]`.
import {
  architusActions,
  createArchitusStore,
  logOtherPushed,
  logPoolPushed,
} from "../dist/index.js";

const MEMBERS = Number(process.argv[2] ?? 1000);
const PUSHES = Number(process.argv[3] ?? 20000);
const GUILD = "800000000000000001";
const EPOCH = "bench";

const member = (i, nick = null) => ({
  id: String(100000000000000000n + BigInt(i)),
  name: `member${i}`,
  nick,
  avatar: null,
  roles: ["1", "2"],
  color: 0,
  joined_at: "2026-01-01T00:00:00Z",
});

function run(label, makePush) {
  const store = createArchitusStore();
  store.subscribe(() => {}); // a UI's listener: called on every change
  store.dispatch(
    architusActions.spectate.started({
      ack: { guild_id: GUILD, epoch: EPOCH, pool_seq: 0, logs_seq: 0 },
      includeLogs: true,
    }),
  );
  const members = Array.from({ length: MEMBERS }, (_, i) => member(i));
  store.dispatch(
    architusActions.pools.loaded({
      type: "member",
      guildId: GUILD,
      entities: members,
      replace: true,
      pending: [],
    }),
  );
  const pushes = Array.from({ length: PUSHES }, (_, seq) => makePush(seq + 1));
  for (const push of pushes.slice(0, 1000)) store.dispatch(logPoolPushed(push)); // warm up
  const started = process.hrtime.bigint();
  for (const push of pushes.slice(1000)) store.dispatch(logPoolPushed(push));
  const ns = Number(process.hrtime.bigint() - started) / (PUSHES - 1000);
  const pool = store.getState().architus.pools.member[GUILD];
  console.log(
    `${label}: ${(ns / 1000).toFixed(2)} µs per push (${pool.ids.length} members in the pool)`,
  );
}

const base = (seq) => ({
  guild_id: GUILD,
  epoch: EPOCH,
  seq,
  timestamp: "2026-01-01T00:00:00Z",
  type: "member",
});
run("upsert of one member (a nick change)", (seq) => ({
  ...base(seq),
  op: "upsert",
  data: [member(seq % MEMBERS, `nick${seq}`)],
}));
run("member joins then leaves (upsert new / delete)", (seq) =>
  seq % 2
    ? { ...base(seq), op: "upsert", data: [member(MEMBERS + seq)] }
    : { ...base(seq), op: "delete", data: [member(MEMBERS + seq - 1).id] },
);

// beside it, a `log_other` push into a full log (the default capacity, 1,000 entries)
{
  const store = createArchitusStore();
  store.subscribe(() => {});
  const entry = (seq) => ({
    id: String(200000000000000000n + BigInt(seq)),
    action: 3001,
    private: false,
    agent_id: "1",
    subject_id: "2",
    content: "hello",
    data: {},
    timestamp: "2026-01-01T00:00:00Z",
    guild_id: GUILD,
    epoch: EPOCH,
    seq,
  });
  for (let seq = 1; seq <= 2000; seq++)
    store.dispatch(logOtherPushed(entry(seq), { capacity: 1000 }));
  const started = process.hrtime.bigint();
  for (let seq = 2001; seq <= 2000 + PUSHES; seq++)
    store.dispatch(logOtherPushed(entry(seq), { capacity: 1000 }));
  const ns = Number(process.hrtime.bigint() - started) / PUSHES;
  console.log(`log_other into a full log of 1,000: ${(ns / 1000).toFixed(2)} µs per push`);
}
