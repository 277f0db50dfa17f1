// A renewal whose token no longer holds the guild: `spectate_reset`, and nothing of the guild
// stays in the store or arrives after it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ArchitusClient, NotConnectedError } from "../dist/index.js";
import { EVERYTHING, GUILD, URLS, control, eventually, mint } from "./harness.mjs";

const OTHER = "740000000000000999";

test("[spectate-reset] spectate_reset empties the guild's pools, log, status and position", async () => {
  const client = new ArchitusClient({
    url: URLS[0],
    transports: ["websocket"],
    token: await mint({ [GUILD]: EVERYTHING, [OTHER]: 0x112 }),
  });
  try {
    await client.connect();
    await client.spectate(GUILD, { includeLogs: true });
    await client.loadPool("member", GUILD);
    await client.loadPool("role", GUILD);
    await client.loadPool("guild"); // not of one guild: kept under UNSCOPED, and not the guild's to lose
    await control("/log", { private: false });
    await eventually(
      () => client.state.logs[GUILD]?.ids.length === 1 && client.state.guildStatus[GUILD],
      "a log entry and the status",
    );
    assert.ok(client.state.pools.member[GUILD].ids.length > 900);

    await client.elevate(await mint({ [OTHER]: 0x112 }));
    await eventually(() => client.state.spectate.guild_id === null, "spectate_reset");
    const state = client.state;
    assert.equal(state.pools.member[GUILD], undefined);
    assert.equal(state.pools.role[GUILD], undefined);
    assert.equal(state.logs[GUILD], undefined);
    assert.equal(state.guildStatus[GUILD], undefined);
    assert.deepEqual(state.spectate, {
      guild_id: null,
      epoch: null,
      pool_seq: 0,
      logs_seq: 0,
      include_logs: false,
    });
    assert.deepEqual(state.session.guilds, { [OTHER]: 0x112 });

    // nothing of the guild arrives any more
    await control("/publish", { events: 40, rate: 200 });
    await control("/publish/wait");
    const after = await control("/log", { private: false });
    await client.spectate(OTHER); // a round trip: any push sent before its ack has arrived
    assert.ok(after.seq > 1);
    assert.equal(client.state.logs[GUILD], undefined);
    assert.equal(client.state.pools.member[GUILD], undefined);
  } finally {
    client.close();
  }
});

test("[resume-forbidden] a resume refused for a guild the token lost forgets the guild too", async () => {
  const client = new ArchitusClient({
    url: URLS[0],
    transports: ["websocket"],
    reconnectionDelay: 100,
    reconnectionDelayMax: 400,
    token: await mint({ [GUILD]: EVERYTHING, [OTHER]: 0x112 }),
  });
  try {
    await client.connect();
    await client.spectate(GUILD, { includeLogs: true });
    await client.loadPool("member", GUILD);
    await control("/nodes/0/kill");
    await eventually(() => client.state.connection.status === "reconnecting", "the drop seen");
    // renewed while away, with a token without the guild: it rides in the reconnect
    await assert.rejects(client.elevate(await mint({ [OTHER]: 0x112 })), NotConnectedError);
    await control("/nodes/0/start");
    await eventually(() => client.state.spectate.guild_id === null, "the refused resume", 60_000);
    assert.equal(client.state.pools.member[GUILD], undefined);
    assert.equal(client.state.logs[GUILD], undefined);
    assert.match(client.state.connection.lastError, /Forbidden|guild/i);
    assert.deepEqual(client.state.session.guilds, { [OTHER]: 0x112 });
  } finally {
    client.close();
  }
});
