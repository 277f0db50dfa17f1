// A drain (SIGTERM) of the node in use: told `reconnect`, the client leaves for the other node
// at once, resumes there, and ends equal to the truth with every log entry once.
import assert from "node:assert/strict";
import { test } from "node:test";
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

test("[drain-move resume] a drain moves it to the next node, nothing lost or repeated", async () => {
  const client = await truthClient({
    otherUrls: [URLS[1]],
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
  });
  try {
    await client.connect();
    await client.spectate(GUILD, { includeLogs: true });
    for (const type of MIRRORED) await client.loadPool(type, GUILD);
    await control("/publish", { events: 1200, rate: 300 });
    await eventually(() => client.state.spectate.logs_seq > 20, "entries flowing");
    await control("/nodes/0/terminate");
    const signalled = Date.now();
    await eventually(
      () => client.nodeUrl === URLS[1] && client.state.connection.status === "connected",
      "moved to the other node",
      4_000, // the drain window: it left on the notice, not when the node closed it
    );
    const moved = Date.now() - signalled;
    assert.equal((await control("/nodes/0/wait")).code, 0, "the drained node exits 0");
    await control("/publish/wait");
    const expected = await truth();
    await caughtUp(client, expected);
    assertPoolsEqual(client.state, expected);
    assertLogComplete(client.state, expected);
    assert.equal(client.state.connection.url, URLS[1]);
    console.log(`moved to the other node ${moved} ms after SIGTERM`);
  } finally {
    client.close();
  }
});
