// connect, spectate, every pool loaded while 200 member changes a second arrive, live merges:
// the store ends equal to the mirror, its log complete and in order.
import assert from "node:assert/strict";
import { test } from "node:test";
import { selectLog, selectPoolEntities } from "../dist/index.js";
import {
  GUILD,
  MIRRORED,
  URLS,
  assertLogComplete,
  assertPoolsEqual,
  caughtUp,
  control,
  eventually,
  truth,
  truthClient,
} from "./harness.mjs";

test("[merge-pushes watermark guild-status] pools loaded under live changes end equal to the mirror", async () => {
  const client = await truthClient();
  try {
    await client.connect();
    assert.equal(client.state.connection.status, "connected");
    assert.equal(client.state.session.user_id, "1001");
    const ack = await client.spectate(GUILD, { includeLogs: true });
    assert.equal(ack.guild_id, GUILD);
    assert.equal(client.state.spectate.guild_id, GUILD);
    await eventually(() => client.state.guildStatus[GUILD], "guild_status after the spectate");
    assert.ok(client.state.guildStatus[GUILD].viewers >= 1);

    // 480 events a second, every second one a pool change, 85% of those a member's: ~200
    // member changes a second
    await control("/publish", { events: 2880, rate: 480 });
    await eventually(() => client.state.spectate.pool_seq > ack.pool_seq + 50, "pushes flowing");
    for (const type of MIRRORED) await client.loadPool(type, GUILD, { limit: 250 });
    // the member pool loaded again (several pages) until pushes arrived during a load: they
    // are what the watermark is for
    let during = 0;
    for (let attempt = 0; attempt < 20 && during < 5; attempt++) {
      const before = client.state.spectate.pool_seq;
      const pool = await client.loadPool("member", GUILD, { limit: 100 });
      assert.ok(pool.ids.length > 900, `members loaded: ${pool.ids.length}`);
      during = client.state.spectate.pool_seq - before;
    }
    assert.ok(during >= 5, `pushes during a load: ${during}`);

    await control("/publish/wait");
    const expected = await truth();
    await caughtUp(client, expected);
    assertPoolsEqual(client.state, expected);
    assertLogComplete(client.state, expected);
    assert.equal(
      selectPoolEntities(client.store.getState(), "member", GUILD).length,
      Object.keys(expected.pools.member).length,
    );
    assert.equal(selectLog(client.store.getState(), GUILD).at(-1).seq, expected.logs_seq);
  } finally {
    client.close();
  }
  assert.equal(client.state.connection.status, "disconnected");
});
